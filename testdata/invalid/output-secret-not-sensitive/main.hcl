bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

variable "token" {
  type      = string
  default   = "abc"
  sensitive = true
}

locals {
  header = "Bearer ${var.token}"
}

output "header" {
  value = local.header # ERROR: Output refers to sensitive values
}

output "key" {
  value = env("MINIO_SECRET_KEY") # ERROR: Output refers to sensitive values
}
