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
  access_key = var.secret # ERROR: Invalid use of a sensitive value
  secret_key = var.secret
}
