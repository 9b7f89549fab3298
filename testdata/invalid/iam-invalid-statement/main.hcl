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

policy "bad" {
  minio = minio.main
  statement {
    effect    = "allow" # ERROR: Invalid statement effect
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::data/*"]
  }
  statement {
    actions   = ["iam:CreateUser"] # ERROR: Invalid statement action
    resources = ["arn:aws:s3:::data/*"]
  }
  statement {
    actions   = ["s3:GetObject"]
    resources = ["data/*"] # ERROR: Invalid statement resource
  }
  statement { # ERROR: Missing statement resources
    actions = ["s3:PutObject"]
  }
  statement {
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::data"]
    condition = "yes" # ERROR: Invalid statement condition
  }
}
