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

minio "other" {
  endpoint = "other:9000"
}

policy "far" {
  minio = minio.other
  statement {
    actions = ["admin:ServerInfo"]
  }
}

user "api" {
  minio      = minio.main
  access_key = "api-user"
  secret_key = var.secret
  policies   = [policy.far] # ERROR: Reference to another deployment
}
