bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {}

presign "get" {
  bucket     = bucket.data
  key        = "a.txt"
  key_prefix = "uploads/" # ERROR: Argument only valid for POST
  expires    = "1h"
}
