package server

// AllowPlainExport lets the tests, which run MinIO over http, use ReadIAMExport.
var AllowPlainExport = &allowPlainExport
