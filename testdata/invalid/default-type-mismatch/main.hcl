bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

variable "zones" {
  type    = list(string)
  default = "eu" # ERROR: Invalid default value for variable
}
