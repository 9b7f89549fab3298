bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  quota = "10 gigs" # ERROR: Invalid quota
}
