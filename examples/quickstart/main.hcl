bucketform {
  stack = "quickstart"
}

minio "local" {
  endpoint = env("MINIO_ENDPOINT", "localhost:9000")
}

bucket "uploads" {
  name       = "quickstart-uploads"
  anonymous  = "none"
  versioning = "enabled"
  quota      = "1GiB"
  tags       = { app = "quickstart" }
  lifecycle_rule {
    id              = "expire-tmp"
    prefix          = "tmp/"
    expiration_days = 7
  }
}

bucket "public" {
  name      = "quickstart-public"
  anonymous = "download"
}

output "upload_bucket" {
  value = bucket.uploads.name
}
