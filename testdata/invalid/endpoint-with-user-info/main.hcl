bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

signing_endpoint "public" {
  endpoint = "https://admin:hunter2@files.example.com" # ERROR: Invalid endpoint
}
