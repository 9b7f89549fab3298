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
  statement {
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::bitflow-data/locked/*"]
  }
}

user "api" {
  access_key = "bitflow-api"
  secret_key = var.secret
  policies   = [policy.writer]
}

signing_endpoint "public" {
  endpoint = "localhost:9000"
  identity = user.api
}

presign "locked" { # ERROR: Signing identity is denied s3:PutObject
  bucket   = bucket.data
  key      = "locked/file"
  method   = "PUT"
  expires  = "1h"
  endpoint = signing_endpoint.public
}
