bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

minio "backup" {
  endpoint = "minio-backup:9000"
}

bucket "data" { # ERROR: Missing minio argument
}

bucket "logs" {
  minio = minio.backup
}
