bucketform {
  stack = "platform-prod"
}

minio "primary" {
  endpoint   = "https://minio.internal:9000/"
  access_key = "provisioner"
  secret_key = env("PRIMARY_SECRET_KEY")
  region     = "eu-central-1"
  ca_file    = "certs/ca.pem"
}

minio "archive" {
  endpoint             = "archive.internal"
  secure               = true
  insecure_skip_verify = true
}

signing_endpoint "public" {
  minio      = minio.primary
  endpoint   = "https://files.example.com"
  access_key = "uploader"
  secret_key = env("UPLOADER_SECRET_KEY")
}
