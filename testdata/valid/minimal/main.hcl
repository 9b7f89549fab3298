bucketform {
  stack = "minimal"
}

minio "local" {
  endpoint = "localhost:9000"
}

# Only the bucket exists; every attribute is left alone.
bucket "scratch" {}
