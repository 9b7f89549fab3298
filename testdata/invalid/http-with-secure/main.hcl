bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

minio "other" {
  endpoint = "http://minio-2:9000"
  secure   = true # ERROR: Conflicting endpoint scheme
}

bucket "data" {
  minio = minio.main
}
