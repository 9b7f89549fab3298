bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  name = "data"
}

presign "upload" {
  bucket  = bucket.data
  method  = "POST"
  key     = "uploads/${filename}" # ERROR: Invalid reference
  expires = "1h"
}
