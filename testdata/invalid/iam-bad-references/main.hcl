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
  policies   = [policy.missing] # ERROR: Reference to undeclared policy block
}

group "g" {
  members = [{ access_key = "fake", minio = "main" }] # ERROR: Invalid user reference
}

policy "p" {
  for_each = toset(["a", "b"])
  statement {
    actions = ["admin:ServerInfo"]
  }
}

group "h" {
  policies = [policy.p] # ERROR: Invalid policy reference
}

service_account "s" {
  user       = user.api
  access_key = "sa-key"
  secret_key = var.secret
  policy     = "{not json" # ERROR: Invalid inline policy
}
