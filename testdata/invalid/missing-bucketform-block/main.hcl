minio "main" { # ERROR: Missing bucketform block
  endpoint = "minio:9000"
}
