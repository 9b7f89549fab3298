bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  anonymous = "download"
  policy = jsonencode({ # ERROR: Conflicting anonymous and policy
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = "*", Action = ["s3:GetObject"], Resource = ["arn:aws:s3:::data/*"] }]
  })
}
