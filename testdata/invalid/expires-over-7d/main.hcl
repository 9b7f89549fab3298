bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {}

presign "get" {
  bucket  = bucket.data
  key     = "a.txt"
  expires = "8d" # ERROR: Expiry out of range
}
