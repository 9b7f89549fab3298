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

policy "bad" {
  name = "has,comma" # ERROR: Invalid policy name
  statement {
    actions = ["admin:ServerInfo"]
  }
}

group "bad" {
  name = "with space" # ERROR: Invalid group name
}
