bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

variable "owner" {
  type      = string
  default   = "alice"
  sensitive = true
}

bucket "data" {
  tags = { owner = var.owner } # ERROR: Invalid use of a sensitive value
}
