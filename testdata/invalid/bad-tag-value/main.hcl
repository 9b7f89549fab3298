bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  tags = { team = "ml & ops" } # ERROR: Invalid tag value
}
