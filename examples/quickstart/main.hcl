# The quickstart: a private bucket for uploads, a public one for downloads, and two presigned
# URLs for the uploads bucket, signed for the host clients use (PUBLIC_ENDPOINT) while bucketform
# talks to MinIO at MINIO_ENDPOINT. On one machine both are the same server: 127.0.0.1:9000 and
# localhost:9000 reach it alike, but to a signature they are different hosts.

bucketform {
  stack = "quickstart"
}

minio "local" {
  endpoint = env("MINIO_ENDPOINT", "127.0.0.1:9000")
}

signing_endpoint "public" {
  endpoint = env("PUBLIC_ENDPOINT", "localhost:9000")
}

bucket "uploads" {
  name       = "quickstart-uploads"
  anonymous  = "none"
  versioning = "enabled"
  quota      = "1GiB"
  tags       = { app = "quickstart" }
  lifecycle_rule {
    id              = "expire-tmp"
    prefix          = "tmp/"
    expiration_days = 7
  }
}

bucket "public" {
  name      = "quickstart-public"
  anonymous = "download"
}

presign "upload" {
  bucket   = bucket.uploads
  key      = "hello.txt"
  method   = "PUT"
  expires  = "15m"
  endpoint = signing_endpoint.public
}

presign "download" {
  bucket   = bucket.uploads
  key      = "hello.txt"
  method   = "GET"
  expires  = "15m"
  endpoint = signing_endpoint.public
}

output "upload_bucket" {
  value = bucket.uploads.name
}

output "upload_url" {
  value     = presign.upload.url
  sensitive = true
}

output "download_url" {
  value     = presign.download.url
  sensitive = true
}
