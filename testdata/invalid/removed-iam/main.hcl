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

user "api" {
  access_key = "api-user"
  secret_key = var.secret
}

removed {
  user = "api-user" # ERROR: Removed user is still declared
}

removed {
  policy = "gone"
}

removed {
  policy = "gone" # ERROR: Duplicate removed block
}

removed {
  group         = "old"
  force_destroy = true # ERROR: Argument only valid for buckets
}

removed {
  bucket = "old-bucket"
  policy = "old" # ERROR: Conflicting removed targets
}

removed { # ERROR: Missing removed target
  destroy = false
}

removed {
  service_account = "x" # ERROR: Invalid access key
}
