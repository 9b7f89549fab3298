bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {}

presign "get" {
  bucket  = bucket.data
  key     = "report.pdf"
  expires = "1h"
}

output "url" {
  value = presign.get.url # ERROR: Output refers to sensitive values
}
