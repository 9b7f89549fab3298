bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  name = "data-${each.key}" # ERROR: Invalid "each" reference
}
