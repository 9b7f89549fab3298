bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  name = "My_Bucket" # ERROR: Invalid bucket name
}
