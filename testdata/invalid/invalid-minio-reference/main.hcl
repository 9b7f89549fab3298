bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  minio = "main" # ERROR: Invalid minio reference
}

bucket "logs" {
  minio = minio.mian # ERROR: Reference to undeclared minio block
}
