bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  name = local.bucket_name # ERROR: Reference to undeclared local value
}
