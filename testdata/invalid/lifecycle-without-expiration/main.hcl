bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  lifecycle_rule { # ERROR: Invalid lifecycle rule
    id     = "nothing"
    prefix = "tmp/"
  }
}
