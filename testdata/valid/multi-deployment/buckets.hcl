bucket "uploads" {
  minio      = minio.primary
  anonymous  = "none"
  versioning = "enabled"
  quota      = "1TiB"
  tags = {
    team        = "web"
    "cost:unit" = "cu-42"
  }

  lifecycle_rule {
    id              = "expire-incoming"
    prefix          = "incoming/"
    expiration_days = 2
  }

  lifecycle_rule {
    id                         = "old-versions"
    enabled                    = false
    noncurrent_expiration_days = 90
  }
}

bucket "logs" {
  minio       = minio.archive
  name        = "logs-${minio.archive.region}"
  object_lock = true
  versioning  = "enabled"
  quota       = "none"
  tags        = {}
}

bucket "public_assets" {
  minio         = minio.primary
  name          = "public-assets"
  anonymous     = "download"
  force_destroy = true
}

removed {
  minio         = minio.archive
  bucket        = "old-logs"
  force_destroy = true
}

presign "browser_upload" {
  bucket       = bucket.uploads
  key_prefix   = "incoming/"
  method       = "POST"
  expires      = "15m"
  max_size     = "50MiB"
  content_type = "image/png"
  endpoint     = signing_endpoint.public
}

presign "archive_download" {
  bucket  = "logs-us-east-1"
  minio   = minio.archive
  key     = "2026/11/23.log"
  method  = "GET"
  expires = "7d"
}

output "upload_form" {
  value     = presign.browser_upload
  sensitive = true
}

output "asset_base" {
  value       = "https://files.example.com/${bucket.public_assets.name}/"
  description = "Where public assets are served"
}
