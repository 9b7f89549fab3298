bucketform { # ERROR: Missing required argument
}
