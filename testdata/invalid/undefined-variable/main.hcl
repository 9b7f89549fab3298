bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {
  name = "${var.prefix}-data" # ERROR: Reference to undeclared input variable
}
