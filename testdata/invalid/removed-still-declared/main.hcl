bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {}

removed {
  bucket        = "data" # ERROR: Removed bucket is still declared
  force_destroy = true
}
