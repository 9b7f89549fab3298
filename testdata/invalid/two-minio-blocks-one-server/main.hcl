bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

minio "again" {
  endpoint   = "minio:9000" # ERROR: Two minio blocks for one server
  access_key = "other"
  secret_key = "other-secret"
}

bucket "data" {
  minio = minio.main
}
