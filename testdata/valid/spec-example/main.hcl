bucketform {
  stack = "bitflow"
}

variable "run_id" {
  type        = string
  default     = "dev"
  description = "Run to mint upload URLs for"
  validation {
    condition     = can(regex("^[a-z0-9-]+$", var.run_id))
    error_message = "run_id is lower-case letters, digits and dashes."
  }
}

locals {
  prefix = "runs/${var.run_id}"
}

minio "main" {
  endpoint   = "minio:9000"
  secure     = false
  access_key = env("MINIO_ACCESS_KEY")
  secret_key = env("MINIO_SECRET_KEY")
  region     = "us-east-1"
}

signing_endpoint "public" {
  minio    = minio.main
  endpoint = "localhost:9000"
  secure   = false
}

bucket "data" {
  minio         = minio.main
  name          = "bitflow-data"
  anonymous     = "none"
  versioning    = "enabled"
  quota         = "100GiB"
  object_lock   = false
  tags          = { team = "ml" }
  force_destroy = false

  lifecycle_rule {
    id                         = "expire-tmp"
    prefix                     = "tmp/"
    expiration_days            = 7
    noncurrent_expiration_days = 30
  }
}

presign "artifact_upload" {
  bucket   = bucket.data
  key      = "${local.prefix}/output.tar.gz"
  method   = "PUT"
  expires  = "24h"
  endpoint = signing_endpoint.public
}

output "artifact_upload_urls" {
  value = {
    base_upload_url = presign.artifact_upload.url
    expires_at      = presign.artifact_upload.expires_at
    max_file_size   = 1073741824
  }
  sensitive = true
}
