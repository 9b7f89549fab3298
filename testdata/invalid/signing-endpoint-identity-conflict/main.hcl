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

signing_endpoint "both" {
  endpoint   = "localhost:9000"
  identity   = user.api
  access_key = "x" # ERROR: Conflicting identity and access_key
  secret_key = var.secret
}

signing_endpoint "bad" {
  endpoint = "localhost:9001"
  identity = policy.p # ERROR: Invalid identity reference
}

policy "p" {
  statement {
    actions = ["admin:ServerInfo"]
  }
}
