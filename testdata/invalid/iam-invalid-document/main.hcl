bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

variable "secret" {
  type      = string
  sensitive = true
  default   = "fixture-secret-never-printed"
}

policy "principal" {
  document = jsonencode({ # ERROR: Invalid policy document
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = "*", Action = "s3:GetObject", Resource = "arn:aws:s3:::data/*" }]
  })
}

policy "not_action" {
  document = jsonencode({ # ERROR: Policy refused by MinIO
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", NotAction = ["s3:DeleteObject"], Resource = "arn:aws:s3:::data/*" }]
  })
}

policy "lowercase" {
  document = jsonencode({ # ERROR: Policy refused by MinIO
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:getobject"], Resource = "arn:aws:s3:::data/*" }]
  })
}

policy "unknown_action" {
  statement { # ERROR: Policy refused by MinIO
    actions   = ["s3:GetEverything"]
    resources = ["arn:aws:s3:::data/*"]
  }
}

user "api" {
  access_key = "api-user"
  secret_key = var.secret
}

service_account "signer" {
  user       = user.api
  access_key = "signer"
  secret_key = var.secret
  policy     = jsonencode({ Statement = [{ Effect = "Allow", Action = ["s3:putobject"], Resource = ["arn:aws:s3:::data/*"] }] }) # ERROR: Policy refused by MinIO
}
