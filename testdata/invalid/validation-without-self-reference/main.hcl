bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

variable "env" {
  default = "prod"
  validation {
    condition     = length("prod") > 0 # ERROR: Invalid variable validation condition
    error_message = "env is required."
  }
}
