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

policy "writer" {
  grant {
    bucket = bucket.data
    access = ["write"]
  }
}

policy "narrow" {
  grant {
    bucket = bucket.data
    prefix = "runs/"
    access = ["write"]
  }
}

user "api" {
  access_key = "bitflow-api"
  secret_key = var.secret
  policies   = [policy.writer]
}

service_account "signer" {
  user       = user.api
  access_key = "bitflow-signer"
  secret_key = var.secret
  policy     = policy.narrow
}

signing_endpoint "public" {
  endpoint = "localhost:9000"
  identity = service_account.signer
}

presign "inside" {
  bucket     = bucket.data
  key_prefix = "runs/forms/"
  method     = "POST"
  expires    = "1h"
  endpoint   = signing_endpoint.public
}

presign "outside" { # ERROR: Signing identity lacks s3:PutObject
  bucket     = bucket.data
  key_prefix = "uploads/"
  method     = "POST"
  expires    = "1h"
  endpoint   = signing_endpoint.public
}
