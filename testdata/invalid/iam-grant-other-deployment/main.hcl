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

bucket "far" {
  minio = minio.other
}

policy "cross" {
  minio = minio.main
  grant {
    bucket = bucket.far # ERROR: Bucket of another deployment
    access = ["read"]
  }
}
