bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "acme" {
}

bucket "tenant" {
  for_each = toset(["globex", "acme"]) # ERROR: Duplicate bucket name
}
