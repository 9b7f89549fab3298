bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {}

presign "del" {
  bucket  = bucket.data
  key     = "a.txt"
  method  = "DELETE" # ERROR: Invalid presign method
  expires = "1h"
}
