bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
  ca_file  = "certs/missing.pem" # ERROR: Invalid ca_file
}

bucket "data" {}
