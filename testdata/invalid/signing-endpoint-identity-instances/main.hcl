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

user "tenant" {
  for_each   = toset(["acme"])
  access_key = "tenant-${each.key}"
  secret_key = var.secret
}

signing_endpoint "whole" {
  endpoint = "localhost:9000"
  identity = user.tenant # ERROR: Invalid identity reference
}

signing_endpoint "missing" {
  endpoint = "localhost:9001"
  identity = user.tenant["globex"] # ERROR: Reference to undeclared instance
}
