bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  tags = { "cost center!" = "ml" } # ERROR: Invalid tag key
}
