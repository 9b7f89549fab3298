package config

import "time"

// VarSource is one -var or -var-file argument, kept in command-line order because later ones win.
type VarSource struct {
	// File is the path of a .bfvars file; when empty, Assignment holds a NAME=VALUE pair.
	File       string
	Assignment string
}

// Options control how a configuration is loaded.
type Options struct {
	// Vars are the -var and -var-file arguments in command-line order.
	Vars []VarSource
	// LookupEnv reads the environment (env(), BUCKETFORM_VAR_<name>, MINIO_ACCESS_KEY,
	// MINIO_SECRET_KEY). Nil means os.LookupEnv.
	LookupEnv func(name string) (string, bool)
	// Partial loads for `validate`: an unset env() or a required variable without a value
	// becomes an unknown value instead of an error, and missing credentials are allowed.
	Partial bool
	// Presign, when set, mints presigned URLs so presign blocks and the outputs that use them
	// get known values (only `bucketform output` sets it). When nil they stay unknown. When
	// set, a minio block's keys are required only if a presign signs with them (it has no
	// signing endpoint, or one with neither keys nor an identity of its own): signing is
	// local and needs only the keys it signs with.
	Presign func(req PresignRequest) (PresignResult, error)
	// Now is the time presign expiry is computed from; zero means time.Now().
	Now time.Time
}

// PresignRequest is what Options.Presign needs to sign one presign instance.
type PresignRequest struct {
	Presign    *Presign
	Deployment *Deployment
	// Endpoint is the signing endpoint to sign for; nil means the deployment's own endpoint.
	Endpoint *SigningEndpoint
	Now      time.Time
}
