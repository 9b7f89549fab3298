bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

signing_endpoint "public" { # ERROR: Incomplete credentials
  endpoint   = "files.example.com"
  access_key = "uploader"
}
