bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
}

bucket "data" { # ERROR: Duplicate bucket block
  name = "other-data"
}
