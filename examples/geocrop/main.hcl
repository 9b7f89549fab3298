# GeoCrop: four private, versioned buckets with hard quotas, one per kind of data the
# crop-mapping pipeline keeps. Apply it against any MinIO:
#
#   export MINIO_ENDPOINT=localhost:9000 MINIO_ACCESS_KEY=... MINIO_SECRET_KEY=...
#   bucketform apply
#
# Quotas can be changed per environment with -var or a .bfvars file, e.g.
#   bucketform plan -var 'quotas={datasets="2TiB"}'

bucketform {
  stack = "geocrop"
}

variable "env" {
  type        = string
  default     = "dev"
  description = "Environment the buckets belong to; part of every bucket name."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.env))
    error_message = "env is 2 to 16 lower-case letters, digits and dashes, starting with a letter."
  }
}

variable "quotas" {
  type        = map(string)
  default     = {}
  description = "Per-bucket quota overrides, e.g. { datasets = \"2TiB\" }."
}

locals {
  default_quotas = {
    baselines = "50GiB"
    datasets  = "500GiB"
    results   = "200GiB"
    models    = "100GiB"
  }
  quotas = merge(local.default_quotas, var.quotas)
}

minio "main" {
  endpoint = env("MINIO_ENDPOINT", "localhost:9000")
  secure   = env("MINIO_SECURE", "false") == "true"
}

bucket "geocrop" {
  for_each = local.quotas

  name       = "geocrop-${var.env}-${each.key}"
  anonymous  = "none"
  versioning = "enabled"
  quota      = each.value
  tags = {
    project = "geocrop"
    env     = var.env
    kind    = each.key
  }

  lifecycle_rule {
    id                         = "expire-noncurrent"
    noncurrent_expiration_days = 30
  }
}

output "buckets" {
  value = { for k, b in bucket.geocrop : k => b.name }
}
