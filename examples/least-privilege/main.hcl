# Least privilege, the short way: presigned URLs signed by identities that may do exactly what
# the URLs do, and nothing else. MinIO authorises a presigned request as the identity that
# signed it, when it is used; so an upload URL signed by the root user is a root credential for
# that key, while one signed by a service account that may only write under runs/ can do nothing
# else, even if it leaks. bucketform checks at validate time that each signer's rights allow its
# URLs (before anyone gets a 403), and `bucketform output -check` proves it against the server.
#
# BitFlow: task containers upload their artifacts to runs/<run>/tasks/<task>/artifacts/ with
# PUT URLs signed by a service account of the pipeline user, for the public endpoint.
# geocrop: results under shared/ are handed out as GET URLs valid for 30 minutes, signed by a
# read-only identity.
#
#   export PIPELINE_SECRET=... UPLOADER_SECRET=... SHARER_SECRET=...   # inputs: never stored
#   bucketform apply
#   bucketform output -json -var run_id=run-0042 | jq '.artifact_upload_urls.value'
#   bucketform output -check -var run_id=run-0042

bucketform {
  stack = "least-privilege"
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
  description = "The tasks of a run: each gets its own upload URL."
}

variable "shared_results" {
  type        = set(string)
  default     = ["tiles-2026-11.tar", "report.pdf"]
  description = "Result files under shared/ to hand out share URLs for."
}

minio "platform" {
  endpoint = env("MINIO_ENDPOINT", "minio:9000")
  # access_key / secret_key: MINIO_ACCESS_KEY / MINIO_SECRET_KEY (the Job's identity)
}

# Where clients reach MinIO: the URLs are signed for these hosts.
signing_endpoint "uploads" {
  endpoint = env("BITFLOW_PUBLIC_ENDPOINT", "localhost:9000")
  identity = service_account.uploader
}

signing_endpoint "shares" {
  endpoint = env("GEOCROP_PUBLIC_ENDPOINT", "localhost:9000")
  identity = service_account.sharer
}

bucket "artifacts" {
  name       = "bitflow-artifacts"
  anonymous  = "none"
  versioning = "enabled"
}

bucket "results" {
  name      = "geocrop-results"
  anonymous = "none"
}

# One grant each: compiled to the minimal statements (s3:PutObject on runs/*, s3:GetObject on
# shared/*), shown in the plan as the document they become.
policy "run_uploads" {
  name = "bitflow-run-uploads"
  grant {
    bucket = bucket.artifacts
    prefix = "runs/"
    access = ["write"]
  }
}

policy "result_reads" {
  name = "geocrop-result-reads"
  grant {
    bucket = bucket.results
    prefix = "shared/"
    access = ["read"]
  }
}

user "pipeline" {
  access_key = "bitflow-pipeline"
  secret_key = env("PIPELINE_SECRET")
  policies   = [policy.run_uploads]
}

# The signer of the upload URLs: a service account of the pipeline user, with its user's rights
# (an implied policy: it can never do more than its user).
service_account "uploader" {
  user        = user.pipeline
  access_key  = "bitflow-uploader"
  secret_key  = env("UPLOADER_SECRET")
  name        = "uploader"
  description = "signs BitFlow artifact upload URLs"
}

user "share" {
  access_key = "geocrop-share"
  secret_key = env("SHARER_SECRET")
  policies   = [policy.result_reads]
}

# The signer of the share URLs; its inline policy narrows the user's rights to reading.
service_account "sharer" {
  user        = user.share
  access_key  = "geocrop-sharer"
  secret_key  = env("SHARER_SECRET")
  policy      = policy.result_reads
  name        = "sharer"
  description = "signs geocrop share URLs"
}

presign "task_upload" {
  for_each = var.tasks
  bucket   = bucket.artifacts
  key      = "runs/${var.run_id}/tasks/${each.key}/artifacts/output.tar.gz"
  method   = "PUT"
  expires  = "24h"
  endpoint = signing_endpoint.uploads
}

presign "share" {
  for_each = var.shared_results
  bucket   = bucket.results
  key      = "shared/${each.key}"
  method   = "GET"
  expires  = "30m"
  endpoint = signing_endpoint.shares
}

output "artifact_upload_urls" {
  value = {
    run_id = var.run_id
    tasks = { for task, p in presign.task_upload : task => {
      upload_url = p.url
      expires_at = p.expires_at
    } }
  }
  sensitive = true
}

output "share_urls" {
  value     = { for file, p in presign.share : file => { url = p.url, expires_at = p.expires_at } }
  sensitive = true
}
