bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

locals {
  prefix = "a"
}

locals {
  prefix = "b" # ERROR: Duplicate local value definition
}
