bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  quota = 0 # ERROR: Invalid quota
}
