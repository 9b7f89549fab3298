# BitFlow: one private bucket for the artifacts of pipeline runs, and per-task upload URLs for
# the task containers, under BitFlow's key layout:
#
#   runs/<run>/tasks/<task>/artifacts/output.tar.gz
#
# bucketform talks to MinIO at its private address (MINIO_ENDPOINT, e.g. minio:9000 inside the
# cluster), but the containers reach MinIO at a public one (BITFLOW_PUBLIC_ENDPOINT, e.g.
# localhost:9000 or files.example.com). SigV4 signs the host, so the URLs are signed for the
# public endpoint. Signing is local: minting URLs needs no connection to either address.
#
#   bucketform apply                                    # once: the bucket
#   bucketform output -json -var run_id=run-0042 \
#     | jq '.artifact_upload_urls.value.train'          # per run: the document the train task reads
#   curl -T output.tar.gz "$(bucketform output -json -var run_id=run-0042 \
#     | jq -r '.artifact_upload_urls.value.train.base_upload_url')"
#
# The bucket stays private (anonymous = "none"): a presigned URL carries the signer's
# authority, so no anonymous policy is needed. See docs/presign.md.

bucketform {
  stack = "bitflow"
}

variable "run_id" {
  type        = string
  default     = "dev"
  description = "The pipeline run to mint upload URLs for; part of every key."
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,62}$", var.run_id))
    error_message = "run_id is 1 to 63 lower-case letters, digits and dashes."
  }
}

variable "tasks" {
  type        = set(string)
  default     = ["fetch", "train", "report"]
  description = "The tasks of a run: each gets its own upload URL and document."
}

variable "url_ttl" {
  type        = string
  default     = "24h"
  description = "How long the URLs of a run stay valid: the longest a run may take (at most 7d)."
}

locals {
  prefix        = "runs/${var.run_id}"
  max_file_size = 1073741824 # 1 GiB
}

minio "platform" {
  endpoint = env("MINIO_ENDPOINT", "minio:9000")
  secure   = env("MINIO_SECURE", "false") == "true"
  # access_key / secret_key: MINIO_ACCESS_KEY / MINIO_SECRET_KEY
}

signing_endpoint "public" {
  endpoint = env("BITFLOW_PUBLIC_ENDPOINT", "localhost:9000")
  secure   = env("BITFLOW_PUBLIC_SECURE", "false") == "true"
  # Sign as a least-privilege identity (see signer-policy.json) instead of the minio block's:
  # access_key = env("BITFLOW_SIGNER_ACCESS_KEY")
  # secret_key = env("BITFLOW_SIGNER_SECRET_KEY")
}

bucket "artifacts" {
  name       = "bitflow-artifacts"
  anonymous  = "none"
  versioning = "enabled"
  quota      = "500GiB"
  tags       = { app = "bitflow" }

  lifecycle_rule {
    id              = "expire-runs"
    prefix          = "runs/"
    expiration_days = 30
  }
}

# One PUT URL per task of the run, for the artifact the task container uploads when it ends
# (curl -T output.tar.gz URL).
presign "artifact_upload" {
  for_each = var.tasks
  bucket   = bucket.artifacts
  key      = "${local.prefix}/tasks/${each.key}/artifacts/output.tar.gz"
  method   = "PUT"
  expires  = var.url_ttl
  endpoint = signing_endpoint.public
}

# A browser form upload for the run's report page: any file name under the run's uploads/
# prefix, at most max_file_size bytes (enforced by the server, unlike for a PUT URL).
presign "report_form" {
  bucket     = bucket.artifacts
  key_prefix = "${local.prefix}/uploads/"
  method     = "POST"
  max_size   = local.max_file_size
  expires    = var.url_ttl
  endpoint   = signing_endpoint.public
}

# The document each task container reads (BITFLOW_ARTIFACTS_JSON), one per task:
# { base_upload_url, expires_at, max_file_size }.
output "artifact_upload_urls" {
  value = { for task, p in presign.artifact_upload : task => {
    base_upload_url = p.url
    expires_at      = p.expires_at
    max_file_size   = local.max_file_size
  } }
  sensitive = true
}

output "report_upload_form" {
  value = {
    url         = presign.report_form.url
    form_fields = presign.report_form.form_fields
    expires_at  = presign.report_form.expires_at
  }
  sensitive = true
}

output "artifact_bucket" {
  value = bucket.artifacts.name
}
