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

policy "a" {
  name = "same"
  statement {
    actions = ["admin:ServerInfo"]
  }
}

policy "b" {
  name = "same" # ERROR: Duplicate policy name
  statement {
    actions = ["admin:ServerInfo"]
  }
}

group "a" {
  name = "team"
}

group "b" {
  name = "team" # ERROR: Duplicate group name
}

user "a" {
  access_key = "shared-key"
  secret_key = var.secret
}

service_account "b" {
  user       = user.a
  access_key = "shared-key" # ERROR: Duplicate access key
  secret_key = var.secret
}
