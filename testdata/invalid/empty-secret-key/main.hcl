bucketform {
  stack = "test"
}

minio "main" {
  endpoint   = "minio:9000"
  access_key = "provisioner"
  secret_key = "" # ERROR: Empty credential
}

bucket "data" {}
