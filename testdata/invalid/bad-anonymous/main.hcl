bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  anonymous = "private" # ERROR: Invalid anonymous value
}
