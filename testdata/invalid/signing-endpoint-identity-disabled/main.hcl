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

user "api" {
  access_key = "api-user"
  secret_key = var.secret
  enabled    = false
}

service_account "sa" {
  user       = user.api
  access_key = "sa-key"
  secret_key = var.secret
}

signing_endpoint "user" {
  endpoint = "localhost:9000"
  identity = user.api # ERROR: Signing identity is disabled
}

signing_endpoint "sa" {
  endpoint = "localhost:9001"
  identity = service_account.sa # ERROR: Signing identity is disabled
}
