bucketform {
  stack = "legacy"
}
minio "local" {
  endpoint = env("MINIO_ENDPOINT")
}
bucket "data" {
  name       = "legacy-data"
  versioning = "enabled"
  quota      = "1GiB"
  tags       = { team = "ml" }
  lifecycle_rule {
    id              = "expire-tmp"
    prefix          = "tmp/"
    expiration_days = 7
  }
}
bucket "logs" {
  name      = "legacy-logs"
  anonymous = "download"
}
bucket "tenant" {
  for_each = toset(["acme", "globex"])
  name     = "legacy-${each.key}"
  tags     = { tenant = each.key }
}
