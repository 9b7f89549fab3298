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

bucket "data" {}

policy "bad" {
  grant {
    bucket = bucket.data
    prefix = "runs/*" # ERROR: Invalid grant prefix
    access = ["write"]
  }
  grant {
    bucket = bucket.data
    access = ["wrte"] # ERROR: Invalid grant access
  }
  grant {
    bucket = "Not_A_Bucket" # ERROR: Invalid bucket name
    access = ["read"]
  }
}
