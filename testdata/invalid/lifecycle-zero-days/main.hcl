bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  lifecycle_rule {
    id              = "expire"
    expiration_days = 0 # ERROR: Invalid expiration days
  }
}
