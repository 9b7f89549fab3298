bucketform {
  stack = "bitflow"
}

variable "api_secret" {
  type      = string
  sensitive = true
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  name = "bitflow-data"
}

bucket "tenant" {
  for_each = toset(["acme", "globex"])
  name     = "tenant-${each.key}"
}

policy "artifact_writer" {
  name = "bitflow-artifact-writer"
  grant {
    bucket = bucket.data
    prefix = "runs/"
    access = ["write", "list"]
  }
  statement {
    effect    = "Deny"
    actions   = ["s3:DeleteObject"]
    resources = ["arn:aws:s3:::bitflow-data/*"]
  }
}

policy "reader" {
  document = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = ["arn:aws:s3:::bitflow-data/shared/*"] }]
  })
}

policy "tenant" {
  for_each = bucket.tenant
  name     = "tenant-${each.key}"
  grant {
    bucket = each.value
    access = ["read", "write", "delete", "list"]
  }
}

policy "signer" {
  grant {
    bucket = bucket.data
    prefix = "runs/"
    access = ["write"]
  }
}

user "api" {
  access_key = "bitflow-api"
  secret_key = var.api_secret
  enabled    = true
  policies   = [policy.artifact_writer]
}

user "tenant" {
  for_each   = toset(["acme", "globex"])
  access_key = "tenant-${each.key}"
  secret_key = env("TENANT_SECRET_KEY")
  policies   = [policy.tenant[each.key]]
}

group "readers" {
  name     = "bitflow-readers"
  members  = [user.api, "someone-else"]
  policies = [policy.reader]
}

group "auditors" {
  enabled = false
}

service_account "signer" {
  user        = user.api
  access_key  = "bitflow-signer"
  secret_key  = env("SIGNER_SECRET_KEY")
  policy      = policy.signer
  expires     = "2099-06-30T00:00:00Z"
  name        = "signer"
  description = "signs BitFlow upload URLs"
}

service_account "ci" {
  user       = "ci-bot"
  access_key = "bitflow-ci"
  secret_key = env("CI_SECRET_KEY")
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = ["s3:GetObject"], Resource = ["arn:aws:s3:::bitflow-data/*"] }]
  })
}

signing_endpoint "public" {
  endpoint = "localhost:9000"
  identity = service_account.signer
}

signing_endpoint "reader" {
  endpoint = "files.example.com"
  secure   = true
  identity = user.api
}

presign "artifact_upload" {
  bucket   = bucket.data
  key      = "runs/dev/output.tar.gz"
  method   = "PUT"
  expires  = "24h"
  endpoint = signing_endpoint.public
}

presign "form" {
  bucket     = bucket.data
  key_prefix = "runs/forms/"
  method     = "POST"
  expires    = "1h"
  endpoint   = signing_endpoint.public
}

presign "shared" {
  bucket   = bucket.data
  key      = "shared/readme.txt"
  expires  = "1h"
  endpoint = signing_endpoint.reader
}

removed {
  policy = "old-policy"
}

removed {
  user    = "old-user"
  destroy = false
}

removed {
  group = "old-group"
}

removed {
  service_account = "old-sa"
}

output "signer_access_key" {
  value = service_account.signer.access_key
}

output "writer_policy" {
  value = policy.artifact_writer.name
}

output "tenant_users" {
  value = [for u in user.tenant : u.access_key]
}
