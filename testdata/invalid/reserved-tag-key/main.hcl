bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  tags = { "bucketform-stack" = "other" } # ERROR: Reserved tag key
}
