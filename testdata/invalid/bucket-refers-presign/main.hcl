bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "data" {}

presign "get" {
  bucket  = bucket.data
  key     = "report.pdf"
  expires = "1h"
}

locals {
  url = presign.get.url
}

bucket "links" {
  tags = { url = presign.get.url } # ERROR: Invalid reference to a presign block
}

bucket "more_links" {
  name = "more-links"
  tags = { url = local.url } # ERROR: Invalid reference to a presign block
}
