bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "tenant" {
  for_each = ["acme", "globex"] # ERROR: Invalid for_each argument
}
