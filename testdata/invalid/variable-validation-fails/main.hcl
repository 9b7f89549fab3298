bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

variable "env" {
  type    = string
  default = "Production"
  validation {
    condition     = can(regex("^[a-z]+$", var.env)) # ERROR: Invalid value for variable
    error_message = "env is lower-case letters."
  }
}
