bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {}

presign "put" { # ERROR: Missing presign key
  bucket  = bucket.data
  method  = "PUT"
  expires = "1h"
}
