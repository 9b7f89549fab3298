bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

variable "secret" {
  type      = string
  sensitive = true
  default   = "fixture-secret-never-printed"
}

bucket "data" {
  name = "bitflow-data"
}

policy "reader" {
  grant {
    bucket = bucket.data
    prefix = "runs/"
    access = ["read"]
  }
}

user "api" {
  access_key = "bitflow-api"
  secret_key = var.secret
  policies   = [policy.reader]
}

signing_endpoint "public" {
  endpoint = "localhost:9000"
  identity = user.api
}

presign "upload" { # ERROR: Signing identity lacks s3:PutObject
  bucket   = bucket.data
  key      = "runs/dev/output.tar.gz"
  method   = "PUT"
  expires  = "1h"
  endpoint = signing_endpoint.public
}

presign "download" {
  bucket   = bucket.data
  key      = "runs/dev/output.tar.gz"
  expires  = "1h"
  endpoint = signing_endpoint.public
}

presign "outside" { # ERROR: Signing identity lacks s3:GetObject
  bucket   = bucket.data
  key      = "other/file"
  method   = "HEAD"
  expires  = "1h"
  endpoint = signing_endpoint.public
}
