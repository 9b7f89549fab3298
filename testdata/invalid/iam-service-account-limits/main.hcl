bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

variable "secret" {
  type      = string
  sensitive = true
  default   = "fixture-secret-never-printed"
}

user "api" {
  access_key = "api-user"
  secret_key = var.secret
}

service_account "signer" {
  user        = user.api
  access_key  = "signer"
  secret_key  = var.secret
  name        = "a display name that is longer than thirty-two characters" # ERROR: Service account name too long
  expires     = "2020-01-01T00:00:00Z" # ERROR: Expiry in the past
}

service_account "other" {
  user       = user.api
  access_key = "other"
  secret_key = var.secret
  expires    = "next tuesday" # ERROR: Invalid expiry
}

service_account "third" {
  user        = user.api
  access_key  = "third"
  secret_key  = var.secret
  name        = "3rd-signer" # ERROR: Invalid service account name
  description = join("", [for i in range(30) : "0123456789"]) # ERROR: Service account description too long
}

service_account "forever" {
  user       = user.api
  access_key = "forever"
  secret_key = var.secret
  expires    = "2999-01-01T00:00:00Z" # ERROR: Expiry out of range
}
