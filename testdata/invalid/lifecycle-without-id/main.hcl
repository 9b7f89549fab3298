bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  lifecycle_rule { # ERROR: Missing lifecycle rule id
    expiration_days = 7
  }
}
