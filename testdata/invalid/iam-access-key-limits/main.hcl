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

user "short" {
  access_key = "ab" # ERROR: Invalid access key
  secret_key = var.secret
}

user "reserved" {
  access_key = "a=b" # ERROR: Invalid access key
  secret_key = var.secret
}

user "ok" {
  access_key = "ok-user"
  secret_key = var.secret
}

service_account "long" {
  user       = user.ok
  access_key = "a-service-account-key-longer-than-20" # ERROR: Invalid access key
  secret_key = var.secret
}
