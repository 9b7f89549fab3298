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

variable "plain" {
  type    = string
  default = "not-sensitive-at-all"
}

user "api" {
  access_key = "api-user"
  secret_key = "a-literal-secret" # ERROR: Secret key is not sensitive
}

service_account "signer" {
  user       = user.api
  access_key = "signer"
  secret_key = var.plain # ERROR: Secret key is not sensitive
}
