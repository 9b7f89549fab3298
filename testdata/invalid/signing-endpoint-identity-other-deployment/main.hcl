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

user "far" {
  minio      = minio.other
  access_key = "far-user"
  secret_key = var.secret
}

signing_endpoint "public" {
  minio    = minio.main
  endpoint = "localhost:9000"
  identity = user.far # ERROR: Identity of another deployment
}
