bucketform {
  stack = "Bit Flow" # ERROR: Invalid stack name
}
