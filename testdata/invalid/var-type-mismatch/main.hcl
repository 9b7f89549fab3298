bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

variable "replicas" {
  type    = number
  default = 1
}
