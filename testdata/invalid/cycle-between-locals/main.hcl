bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

locals {
  a = "${local.b}-x" # ERROR: Cycle in references
  b = "${local.c}-y"
}

locals {
  c = local.a
}
