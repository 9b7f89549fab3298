bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

variable "tenant" { # ERROR: No value for required variable
  type = string
}

bucket "data" {
  name = "${var.tenant}-data"
}
