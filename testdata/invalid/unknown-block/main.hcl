bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bukcet "data" { # ERROR: Unsupported block type
}
