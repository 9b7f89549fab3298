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

bucket "data" {}

signing_endpoint "public" {
  endpoint = "localhost:9000"
}

presign "up" {
  bucket  = bucket.data
  key     = "k"
  expires = "1h"
}

output "o" {
  value     = presign.up.url
  sensitive = true
}

policy "p" {
  name = presign.up.key # ERROR: Invalid reference from an IAM block
  statement {
    actions = ["admin:ServerInfo"]
  }
}

group "g" {
  name = signing_endpoint.public.endpoint # ERROR: Invalid reference from an IAM block
}

user "u" {
  access_key = output.o # ERROR: Invalid reference from an IAM block
  secret_key = var.secret
}
