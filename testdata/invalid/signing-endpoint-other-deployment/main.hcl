bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

minio "backup" {
  endpoint = "minio-backup:9000"
}

signing_endpoint "public" {
  minio    = minio.backup
  endpoint = "files.example.com"
}

bucket "data" {
  minio = minio.main
}

presign "get" {
  bucket   = bucket.data
  key      = "a.txt"
  expires  = "1h"
  endpoint = signing_endpoint.public # ERROR: Signing endpoint of another deployment
}
