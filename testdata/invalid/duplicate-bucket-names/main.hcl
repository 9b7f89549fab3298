bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  name = "shared-data"
}

bucket "more_data" {
  name = "shared-data" # ERROR: Duplicate bucket name
}
