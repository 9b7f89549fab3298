package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/engine/presign"
)

// checkParallelism is how many HEAD requests output -check has in flight at once.
const checkParallelism = 8

// runOutputCheck proves, for every presign instance, that a URL signed for its signing
// endpoint reaches MinIO with its host and path unaltered. It prints one line per instance on
// stderr, in configuration order (the URLs themselves are secrets and are not printed), and
// exits 1 when any fails.
func runOutputCheck(u *ui, cfg *config.Config, signer *presign.Signer) int {
	if len(cfg.Presigns) == 0 {
		fmt.Fprintln(u.stderr, "No presign blocks: nothing to check.")
		return exitOK
	}
	client := &http.Client{Timeout: 10 * time.Second}
	results := make([]presign.CheckResult, len(cfg.Presigns))
	// Every check runs and reports, failed or not: each writes its own result and returns nil,
	// so the group only bounds and joins them.
	var g errgroup.Group
	g.SetLimit(checkParallelism)
	for i, p := range cfg.Presigns {
		g.Go(func() error {
			results[i] = signer.Check(context.Background(), client, presignRequest(cfg, p))
			return nil
		})
	}
	_ = g.Wait()
	failed := 0
	for _, res := range results {
		mark := "ok  "
		if !res.OK {
			mark = "FAIL"
			failed++
		}
		fmt.Fprintf(u.stderr, "%s %s: %s\n", mark, res.Address, res.Message)
	}
	if failed > 0 {
		u.errorf("%d of %d presigned URLs would not work", failed, len(results))
		u.hint("a presigned URL only works at the exact host it was signed for, when the request reaches MinIO with that Host header and path, and when its signer may do what it does; see docs/presign.md")
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
	if p.Endpoint != "" {
		for _, ep := range cfg.SigningEndpoints {
			if ep.Name == p.Endpoint {
				req.Endpoint = ep
			}
		}
	}
	return req
}
