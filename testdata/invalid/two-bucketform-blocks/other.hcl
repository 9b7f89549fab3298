bucketform { # ERROR: Duplicate bucketform block
  stack = "other"
}
