bucketform {
  stack = "tenants"
}

variable "tenants" {
  type = map(object({
    team  = string
    quota = optional(string, "10GiB")
    tier  = optional(string, "standard")
  }))
}

variable "upload_ttl" {
  type    = string
  default = "1h"
  validation {
    condition     = can(regex("^[0-9]+[smhd]$", var.upload_ttl))
    error_message = "upload_ttl is a number and one unit, like 1h."
  }
}

minio "main" {
  endpoint = "minio:9000"
}

locals {
  premium = toset([for name, t in var.tenants : name if t.tier == "premium"])
}

bucket "tenant" {
  for_each   = var.tenants
  name       = "tenant-${each.key}"
  versioning = each.value.tier == "premium" ? "enabled" : "suspended"
  quota      = each.value.quota
  tags       = { team = each.value.team, tier = each.value.tier }
}

bucket "premium_backup" {
  for_each = local.premium
  name     = "backup-${each.key}"
}

presign "upload" {
  for_each = bucket.tenant
  bucket   = each.value
  key      = "incoming/${each.key}/data.tar"
  method   = "PUT"
  expires  = var.upload_ttl
}

output "bucket_arns" {
  value = { for k, b in bucket.tenant : k => b.arn }
}

output "upload_urls" {
  value     = { for k, p in presign.upload : k => p.url }
  sensitive = true
}
