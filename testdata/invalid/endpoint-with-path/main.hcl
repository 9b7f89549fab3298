bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

minio "other" {
  endpoint = "http://files.example.com/minio" # ERROR: Invalid endpoint
}

bucket "data" {
  minio = minio.main
}
