bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "tenant" {
  for_each = toset(["acme", "globex"])
}

presign "get" {
  bucket  = bucket.tenant # ERROR: Invalid presign bucket
  key     = "a.txt"
  expires = "1h"
}
