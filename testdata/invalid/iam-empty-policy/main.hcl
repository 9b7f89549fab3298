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

policy "nothing" { # ERROR: Empty policy
  name = "nothing"
}
