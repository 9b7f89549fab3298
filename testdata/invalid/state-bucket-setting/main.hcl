bucketform {
  stack        = "test"
  state_bucket = "ops-state" # ERROR: state_bucket is no longer supported
}

minio "main" {
  endpoint = "minio:9000"
}
