bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

output "name" {
  value = "a"
}

output "name" { # ERROR: Duplicate output definition
  value = "b"
}
