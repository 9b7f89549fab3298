bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}

# USER_PW does not look like a secret's name, but it is read as a secret_key below: its value is
# sensitive everywhere.
bucket "b" {
  name = "leak-data"
  tags = { note = env("USER_PW", "x") } # ERROR: Invalid use of a sensitive value
}

user "u" {
  access_key = "leaky"
  secret_key = env("USER_PW", "user-pw-default")
}

output "o" {
  value = env("USER_PW", "x") # ERROR: Output refers to sensitive values
}
