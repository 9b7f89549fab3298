bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data_store" { # ERROR: Invalid bucket name
  versioning = "enabled"
}
