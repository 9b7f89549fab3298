bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

variable "tenants" {
  type      = set(string)
  default   = ["acme"]
  sensitive = true
}

bucket "tenant" {
  for_each = var.tenants # ERROR: Invalid for_each argument
}
