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
  method  = "PUT"
  key     = "uploads/$${filename}" # ERROR: Invalid presign key
  expires = "1h"
}
