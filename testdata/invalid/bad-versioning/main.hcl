bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  versioning = "on" # ERROR: Invalid versioning value
}
