bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "state" {
  name = "bucketform-state" # ERROR: State bucket declared as a bucket
}
