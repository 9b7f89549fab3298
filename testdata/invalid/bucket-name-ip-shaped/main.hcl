bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  name = "192.168.5.4" # ERROR: Invalid bucket name
}
