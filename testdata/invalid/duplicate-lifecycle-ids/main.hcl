bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  lifecycle_rule {
    id              = "expire"
    expiration_days = 7
  }
  lifecycle_rule {
    id              = "expire" # ERROR: Duplicate lifecycle rule id
    prefix          = "tmp/"
    expiration_days = 1
  }
}
