bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "a" { # ERROR: Cycle in references
  tags = { peer = bucket.b.name }
}

bucket "b" {
  tags = { peer = bucket.a.name }
}
