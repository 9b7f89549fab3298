bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "9lives" { # ERROR: Invalid block name
}
