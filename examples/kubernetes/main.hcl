# The configuration the bootstrap Job applies on every deploy. configmap.yaml carries a copy of
# this file (and helm/bucketform-bootstrap/files/main.hcl another); a test keeps them equal.
#
# Credentials come from MINIO_ACCESS_KEY / MINIO_SECRET_KEY (the Secret in secret.yaml), for an
# identity with the minimum policy in bucketform-policy.json, never the root user.

bucketform {
  stack = "platform"
}

minio "main" {
  endpoint = env("MINIO_ENDPOINT", "minio.minio.svc.cluster.local:9000")
  secure   = env("MINIO_SECURE", "false") == "true"
}

variable "tenants" {
  type        = set(string)
  default     = ["acme", "globex", "initech"]
  description = "One private, versioned bucket with a quota per tenant."
}

bucket "tenant" {
  for_each = var.tenants

  name       = "tenant-${each.key}"
  anonymous  = "none"
  versioning = "enabled"
  quota      = "50GiB"
  tags       = { tenant = each.key, managed-by = "bucketform" }

  lifecycle_rule {
    id                         = "expire-noncurrent"
    noncurrent_expiration_days = 30
  }
}

bucket "assets" {
  name      = "public-assets"
  anonymous = "download"
}
