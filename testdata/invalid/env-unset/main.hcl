bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

minio "other" {
  endpoint = env("OTHER_MINIO_ENDPOINT") # ERROR: Error in function call
}

bucket "data" {
  minio = minio.main
}
