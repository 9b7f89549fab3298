bucketform {
  stack = "reports"
}

minio "main" {
  endpoint = "127.0.0.1:9000"
}

locals {
  readers = ["arn:aws:iam:::user/auditor", "arn:aws:iam:::user/analyst"]
}

bucket "reports" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { AWS = local.readers }
        Action    = ["s3:GetObject"]
        Resource  = ["arn:aws:s3:::reports/*"]
      },
      {
        Effect    = "Allow"
        Principal = { AWS = local.readers }
        Action    = ["s3:ListBucket"]
        Resource  = ["arn:aws:s3:::reports"]
      },
    ]
  })
}

bucket "static" {
  policy = file("static-policy.json")
}
