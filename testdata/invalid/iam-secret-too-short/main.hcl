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

variable "short" {
  type      = string
  sensitive = true
  default   = "short"
}

user "api" {
  access_key = "api-user"
  secret_key = var.short # ERROR: Secret key too short
}
