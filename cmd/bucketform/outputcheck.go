package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/engine/presign"
)

// runOutputCheck proves, for every presign block, that a URL signed for its signing endpoint
// reaches MinIO with its host and path unaltered. It prints one line per URL on stderr (the
// URLs themselves are secrets and are not printed).
func runOutputCheck(u *ui, cfg *config.Config, signer *presign.Signer) int {
	client := &http.Client{Timeout: 10 * time.Second}
	failed := 0
	for _, p := range cfg.Presigns {
		req := presignRequest(cfg, p)
		res := signer.Check(context.Background(), client, req)
		mark := "ok  "
		if !res.OK {
			mark = "FAIL"
			failed++
		}
		fmt.Fprintf(u.stderr, "%s %s: %s\n", mark, res.Address, res.Message)
	}
	if failed > 0 {
		u.errorf("%d of %d presigned URLs do not reach MinIO unaltered", failed, len(cfg.Presigns))
		return exitError
	}
	return exitOK
}

// presignRequest finds the deployment and signing endpoint of a presign instance.
func presignRequest(cfg *config.Config, p *config.Presign) config.PresignRequest {
	req := config.PresignRequest{Presign: p, Now: time.Now()}
	for _, d := range cfg.Deployments {
		if d.Name == p.Deployment {
			req.Deployment = d
		}
	}
	for _, ep := range cfg.SigningEndpoints {
		if ep.Name == p.Endpoint {
			req.Endpoint = ep
		}
	}
	return req
}
