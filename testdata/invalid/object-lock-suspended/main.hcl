bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  object_lock = true
  versioning  = "suspended" # ERROR: Object lock with suspended versioning
}
