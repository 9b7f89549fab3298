package server_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/bucketform/bucketform/engine/miniotest"
	"github.com/bucketform/bucketform/engine/server"
)

// TestIAMFigures prints what reading a large IAM costs: requests and time for users, groups,
// service accounts and everything, against a server of its own holding N users and N service
// accounts, for N in $BUCKETFORM_IAM_FIGURES (e.g. "200,1000"), with ReadIAM and with
// ReadIAMExport. It asserts no timing. Run:
//
//	BUCKETFORM_IAM_FIGURES=200,1000 go test ./engine/server -run TestIAMFigures -v
//
// Two layouts of service accounts (or those in $BUCKETFORM_IAM_PER_PARENT): one per user (the
// worst case: as many parents as accounts), and ten per user for a tenth of the users; in both
// a tenth of the accounts has an inline policy.
func TestIAMFigures(t *testing.T) {
	spec := os.Getenv("BUCKETFORM_IAM_FIGURES")
	if spec == "" {
		t.Skip("set BUCKETFORM_IAM_FIGURES to sizes, e.g. 200,1000")
	}
	for _, s := range splitComma(spec) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 10 {
			t.Fatalf("BUCKETFORM_IAM_FIGURES: %q is not a size of at least 10", s)
		}
		layouts := []int{1, 10}
		if v := os.Getenv("BUCKETFORM_IAM_PER_PARENT"); v != "" {
			layouts = nil
			for _, s := range splitComma(v) {
				k, err := strconv.Atoi(s)
				if err != nil || k < 1 || k > n/10 {
					t.Fatalf("BUCKETFORM_IAM_PER_PARENT: %q is not between 1 and %d", s, n/10)
				}
				layouts = append(layouts, k)
			}
		}
		for _, perUser := range layouts {
			t.Run(fmt.Sprintf("%d users, %d service accounts, %d per parent", n, n, perUser), func(t *testing.T) {
				iamFigures(t, n, perUser)
			})
		}
	}
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

func iamFigures(t *testing.T, n, perUser int) {
	ctx := context.Background()
	srv := miniotest.Start(t)
	p := newCountingProxy(t, srv.Endpoint)
	direct, counted := newClient(t, srv.Endpoint), p.client(t) // counted: through the counting proxy
	doc := policyDoc("Allow", []string{"s3:GetObject"}, "arn:aws:s3:::figures/*")
	must(t, direct.PutPolicy(ctx, "figures", doc))
	parallel := func(count int, f func(i int) error) time.Duration {
		start := time.Now()
		sem, errs := make(chan struct{}, 32), make(chan error, count)
		for i := range count {
			sem <- struct{}{}
			go func() { defer func() { <-sem }(); errs <- f(i) }()
		}
		for range count {
			must(t, <-errs)
		}
		return time.Since(start)
	}
	took := parallel(n, func(i int) error {
		return direct.PutUser(ctx, fmt.Sprintf("fig-user%05d", i), "figures-secret", true)
	})
	t.Logf("%-40s %8s  (%.1f ms each at parallelism 32)", fmt.Sprintf("create %d users", n), took.Round(time.Millisecond), ms(took)/float64(n))
	groups := n / 20
	took = parallel(groups, func(i int) error {
		return direct.AddGroupMembers(ctx, fmt.Sprintf("fig-group%04d", i), fmt.Sprintf("fig-user%05d", i), fmt.Sprintf("fig-user%05d", i+groups))
	})
	t.Logf("%-40s %8s", fmt.Sprintf("create %d groups", groups), took.Round(time.Millisecond))
	took = parallel(n, func(i int) error {
		sa := server.NewServiceAccount{AccessKey: fmt.Sprintf("fig-sa%05d", i), SecretKey: "figures-sa-secret",
			Parent: fmt.Sprintf("fig-user%05d", i/perUser)}
		if i%10 == 0 {
			sa.Policy = doc
		}
		return direct.AddServiceAccount(ctx, sa)
	})
	t.Logf("%-40s %8s  (%.1f ms each)", fmt.Sprintf("create %d service accounts", n), took.Round(time.Millisecond), ms(took)/float64(n))
	// Two writes of one request each: attaching is encrypted both ways (madmin's argon2id key
	// derivation on each side, twice), setting a status is not encrypted at all.
	k := min(n, 100)
	took = parallel(k, func(i int) error { return direct.AttachUserPolicies(ctx, fmt.Sprintf("fig-user%05d", i), "figures") })
	t.Logf("%-40s %8s  (%.1f ms each)", fmt.Sprintf("attach a policy to %d users", k), took.Round(time.Millisecond), ms(took)/float64(k))
	took = parallel(k, func(i int) error { return direct.SetUserEnabled(ctx, fmt.Sprintf("fig-user%05d", i), true) })
	t.Logf("%-40s %8s  (%.1f ms each)", fmt.Sprintf("enable %d users", k), took.Round(time.Millisecond), ms(took)/float64(k))

	measure := func(what string, want int, f func(c *server.Client) (int, error)) {
		t.Helper()
		p.take()
		if _, err := f(counted); err != nil {
			t.Fatal(err)
		}
		requests := sum(p.take())
		start := time.Now()
		got, err := f(direct)
		must(t, err)
		took := time.Since(start)
		t.Logf("%-40s %8s  %5d requests  %5d read  (%.1f ms a request)", what, took.Round(time.Millisecond), requests, got, ms(took)/float64(requests))
		if got != want {
			t.Errorf("%s: read %d, want %d", what, got, want)
		}
	}
	measure("ReadUsers", n, func(c *server.Client) (int, error) { m, err := c.ReadUsers(ctx); return len(m), err })
	measure("ReadPolicies", 6, func(c *server.Client) (int, error) { m, err := c.ReadPolicies(ctx); return len(m), err })
	measure("ReadGroups", groups, func(c *server.Client) (int, error) { m, err := c.ReadGroups(ctx); return len(m), err })
	measure("ReadServiceAccounts(everyone)", n, func(c *server.Client) (int, error) {
		m, err := c.ReadServiceAccounts(ctx, nil)
		return len(m), err
	})
	measure("ReadServiceAccounts(10 parents)", 10*perUser, func(c *server.Client) (int, error) {
		parents := make([]string, 10)
		for i := range parents {
			parents[i] = fmt.Sprintf("fig-user%05d", i)
		}
		m, err := c.ReadServiceAccounts(ctx, parents)
		return len(m), err
	})
	measure("ReadIAM", n+6+groups+n, func(c *server.Client) (int, error) {
		s, err := c.ReadIAM(ctx)
		return len(s.Users) + len(s.Policies) + len(s.Groups) + len(s.ServiceAccounts), err
	})
	measure(fmt.Sprintf("CheckSecret x%d (service accounts)", n), n, func(c *server.Client) (int, error) {
		parallel(n, func(i int) error {
			st, err := c.CheckSecret(ctx, fmt.Sprintf("fig-sa%05d", i), "figures-sa-secret")
			if err == nil && st != server.SecretMatches {
				err = fmt.Errorf("secret of fig-sa%05d: %v", i, st)
			}
			return err
		})
		return n, nil
	})

	// ReadIAMExport: one request (ExportIAM), over http here only because the test allows it.
	*server.AllowPlainExport = true
	defer func() { *server.AllowPlainExport = false }()
	measure("ReadIAMExport", n+6+groups+n, func(c *server.Client) (int, error) {
		s, err := c.ReadIAMExport(ctx)
		return len(s.Users) + len(s.Policies) + len(s.Groups) + len(s.ServiceAccounts), err
	})
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
