# GeoCrop: four private, versioned buckets with hard quotas, one per kind of data the
# crop-mapping pipeline keeps, and share URLs for results: presigned GET URLs, valid for 15 to
# 60 minutes, signed for GeoCrop's public endpoint, that a partner opens without credentials.
#
#   export MINIO_ENDPOINT=minio:9000 MINIO_ACCESS_KEY=... MINIO_SECRET_KEY=...
#   export GEOCROP_PUBLIC_ENDPOINT=files.geocrop.example GEOCROP_PUBLIC_SECURE=true
#   bucketform apply                                           # once: the four buckets
#   bucketform output -json -var 'share=["2026-06/region-7.tif"]' -var share_ttl=30m \
#     | jq -r '.share_urls.value["2026-06/region-7.tif"].url'   # a link to send
#
# Quotas can be changed per environment with -var or a .bfvars file, e.g.
#   bucketform plan -var 'quotas={datasets="2TiB"}'
# Minting share URLs changes nothing on the server: signing is local, and plan and apply never
# mint URLs.

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

variable "share" {
  type        = set(string)
  default     = []
  description = "Keys in the results bucket to share, e.g. [\"2026-06/region-7.tif\"]: one GET URL each."
}

variable "share_ttl" {
  type        = string
  default     = "1h"
  description = "How long a share URL works: 15 to 60 minutes."
  validation {
    condition     = can(regex("^((1[5-9]|[2-5][0-9]|60)m|1h)$", var.share_ttl))
    error_message = "share_ttl is 15m to 60m (or 1h): share links are meant for the next hour, not for good."
  }
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

# Where partners reach MinIO: the host the share URLs are signed for.
signing_endpoint "public" {
  endpoint = env("GEOCROP_PUBLIC_ENDPOINT", "localhost:9000")
  secure   = env("GEOCROP_PUBLIC_SECURE", "false") == "true"
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

# One download URL per shared result.
presign "share" {
  for_each = var.share
  bucket   = bucket.geocrop["results"]
  key      = each.key
  method   = "GET"
  expires  = var.share_ttl
  endpoint = signing_endpoint.public
}

output "buckets" {
  value = { for k, b in bucket.geocrop : k => b.name }
}

output "share_urls" {
  value     = { for key, p in presign.share : key => { url = p.url, expires_at = p.expires_at } }
  sensitive = true
}
