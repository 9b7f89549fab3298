package config

import (
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/bucketform/bucketform/config/model"
)

// StateBucket is the bucket that holds the claims, ownership indexes and leases of every stack
// on a server. It is never a resource of a configuration.
const StateBucket = "bucketform-state"

// DefaultRegion is the region used when a minio block sets none.
const DefaultRegion = "us-east-1"

// Config is a loaded, validated configuration: the desired state of every deployment it declares.
// Everything in it is known unless the configuration was loaded with Options.Partial.
type Config struct {
	Dir   string
	Stack string

	Deployments      []*Deployment
	SigningEndpoints []*SigningEndpoint
	Buckets          []*Bucket  // one per instance: for_each is expanded
	Removed          []*Removed // removed blocks
	Presigns         []*Presign // one per instance: for_each is expanded
	Outputs          []*Output

	// The identities (IAM) the configuration declares, one per instance.
	Policies        []*Policy
	Users           []*User
	Groups          []*Group
	ServiceAccounts []*ServiceAccount

	// Files maps each file name to its source, for rendering diagnostics with the offending line.
	// Only Bytes is set: the syntax trees are dropped once loading no longer needs them.
	// Variable files are held without their source (Bytes is nil): they hold secrets.
	Files map[string]*hcl.File

	secrets []string // see Secrets
}

// Deployment is a minio block: one MinIO server that the tool talks to.
type Deployment struct {
	Name      string // the block label: minio "main" → "main"
	Endpoint  string // host[:port], no scheme, no path
	Secure    bool
	Region    string
	Creds     Credentials
	CAFile    string // absolute path, or ""
	Insecure  bool   // insecure_skip_verify
	DeclRange hcl.Range
}

// Credentials are an access key and a secret key. String never reveals the secret.
type Credentials struct {
	AccessKey string
	SecretKey string
	// Known is false when the keys could not be resolved (validate without the environment).
	Known bool
}

// String implements fmt.Stringer without revealing the secret key.
func (c Credentials) String() string {
	if !c.Known {
		return "(unknown credentials)"
	}
	return "access key " + c.AccessKey + " (secret redacted)"
}

// GoString implements fmt.GoStringer so %#v cannot leak the secret either.
func (c Credentials) GoString() string { return c.String() }

// SigningEndpoint is a signing_endpoint block: the host presigned URLs are signed for.
type SigningEndpoint struct {
	Name       string // block label
	Deployment string // name of the minio block it belongs to
	Endpoint   string // host[:port]
	Secure     bool
	Region     string // inherited from the deployment
	Creds      Credentials
	// Identity is the address of the declared user or service account it signs as
	// ("service_account.signer"), or "" when it signs with access_key/secret_key or with its
	// deployment's keys. Creds then hold that identity's keys.
	Identity  string
	DeclRange hcl.Range
}

// Bucket is one bucket instance the configuration declares.
type Bucket struct {
	Address      string // bucket.data, or bucket.tenant["acme"] for a for_each instance
	Deployment   string // name of the minio block
	State        model.Bucket
	ForceDestroy bool
	DeclRange    hcl.Range
}

// Removed is a removed block: a resource no longer declared, to delete (a bucket possibly with
// its objects) or to release from the stack.
type Removed struct {
	Deployment string
	// Kind is what it names: KindBucket, KindPolicy, KindUser, KindGroup or KindServiceAccount.
	Kind string
	// Name is its identity on the server: the bucket, policy or group name, or the access key.
	Name string
	// Bucket is Name when Kind is KindBucket, else "".
	Bucket       string
	ForceDestroy bool // buckets only
	// Keep (destroy = false) releases the resource from the stack instead of deleting it.
	Keep      bool
	DeclRange hcl.Range
}

// Presign is one presign instance: what to sign, for whom and for how long.
type Presign struct {
	Address     string // presign.upload, or presign.upload["a"]
	Key         string // the object key (GET, PUT, HEAD; POST with a fixed key)
	KeyPrefix   string // POST: the client may choose any key under this prefix
	Bucket      string
	Deployment  string
	Method      string // GET | PUT | HEAD | POST
	Expires     time.Duration
	Endpoint    string // signing_endpoint label; "" signs for the deployment's own endpoint
	MaxSize     int64  // POST: content-length-range upper bound; 0 means none
	ContentType string // POST: required Content-Type; "" means any
	DeclRange   hcl.Range
}

// PresignResult is a minted presigned URL.
type PresignResult struct {
	URL        string
	ExpiresAt  time.Time
	FormFields map[string]string // POST only
}

// Output is an output block.
type Output struct {
	Name        string
	Description string
	Sensitive   bool
	// Value is unknown when it derives from a presign block and the configuration was not loaded
	// with Options.Presign.
	Value     cty.Value
	DeclRange hcl.Range
}
