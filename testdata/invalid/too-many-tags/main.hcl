bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  tags = { for i in range(50) : "key-${i}" => "v" } # ERROR: Too many tags
}
