package server_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/minio/madmin-go/v3"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/bucketform/bucketform/engine/miniotest"
	"github.com/bucketform/bucketform/engine/server"
)

// TestIAMPropagationAcrossNodes looks for "not there yet" answers: every IAM request that
// depends on the one before it goes to another node of a cluster than that one, at once, with
// no retry (madmin-go directly). It needs a distributed MinIO with the test's root credentials,
// its nodes in $BUCKETFORM_IAM_NODES (host:port,host:port,...), and is skipped otherwise. One
// way to have one, as root (what miniotest.StartCluster does): a bridge
// with 10.78.5.1/24, four network namespaces with a veth each on it at 10.78.5.11 .. .14, and in
// each `MINIO_CI_CD=1 minio server --address 10.78.5.1N:9000` followed by the four node URLs.
//
// On the pinned server (four nodes, 120 rounds of 13 dependent requests, four rounds at a
// time) no request was refused: the node that takes a write notifies its peers before it
// answers.
func TestIAMPropagationAcrossNodes(t *testing.T) {
	spec := os.Getenv("BUCKETFORM_IAM_NODES")
	if spec == "" {
		t.Skip("set BUCKETFORM_IAM_NODES to the nodes of a distributed MinIO")
	}
	nodes := strings.Split(spec, ",")
	ctx := context.Background()
	creds := credentials.NewStaticV4(miniotest.AccessKey, miniotest.SecretKey, "")
	var adms []*madmin.AdminClient
	for _, ep := range nodes {
		a, err := madmin.NewWithOptions(ep, &madmin.Options{Creds: creds})
		must(t, err)
		adms = append(adms, a)
	}
	doc := policyDoc("Allow", []string{"s3:GetObject"}, "arn:aws:s3:::propagation/*")
	var mu sync.Mutex
	refused := map[string]int{}
	note := func(what string, err error) {
		if err != nil {
			mu.Lock()
			refused[what+": "+server.Code(err)+" "+err.Error()]++
			mu.Unlock()
		}
	}
	const rounds, workers = 120, 4
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < rounds; i += workers {
				node := func(k int) *madmin.AdminClient { return adms[(i+k)%len(adms)] }
				u, p, g, sa := fmt.Sprintf("pr-user%03d", i), fmt.Sprintf("pr-pol%03d", i), fmt.Sprintf("pr-grp%03d", i), fmt.Sprintf("pr-sa%03d", i)
				note("add policy", node(0).AddCannedPolicy(ctx, p, doc))
				note("add user", node(0).AddUser(ctx, u, "pr-secret-1"))
				_, err := node(1).AttachPolicy(ctx, madmin.PolicyAssociationReq{Policies: []string{p}, User: u})
				note("attach to the user", err)
				note("add the user to a group", node(2).UpdateGroupMembers(ctx, madmin.GroupAddRemove{Group: g, Members: []string{u}}))
				_, err = node(3).AttachPolicy(ctx, madmin.PolicyAssociationReq{Policies: []string{p}, Group: g})
				note("attach to the group", err)
				_, err = node(0).AddServiceAccount(ctx, madmin.AddServiceAccountReq{TargetUser: u, AccessKey: sa, SecretKey: "pr-secret-2"})
				note("add a service account", err)
				note("update the service account", node(1).UpdateServiceAccount(ctx, sa, madmin.UpdateServiceAccountReq{NewName: "n"}))
				_, err = node(2).InfoServiceAccount(ctx, sa)
				note("read the service account", err)
				s3, _ := minio.New(nodes[(i+3)%len(nodes)], &minio.Options{Creds: credentials.NewStaticV4(sa, "pr-secret-2", ""), Region: "us-east-1", MaxRetries: 1})
				if _, err := s3.GetBucketPolicy(ctx, "propagation-none"); server.Code(err) != server.CodeAccessDenied {
					note("sign as the service account", err)
				}
				note("disable the user", node(2).SetUserStatus(ctx, u, madmin.AccountDisabled))
				users, err := node(3).ListUsers(ctx)
				note("list users", err)
				if err == nil && users[u].Status != madmin.AccountDisabled {
					note("list users", fmt.Errorf("the user reads as %q", users[u].Status))
				}
				note("disable the group", node(0).SetGroupStatus(ctx, g, madmin.GroupDisabled))
				d, err := node(1).GetGroupDescription(ctx, g)
				note("read the group", err)
				if err == nil && d.Status != string(madmin.GroupDisabled) {
					note("read the group", fmt.Errorf("the group reads as %q", d.Status))
				}
			}
		}()
	}
	wg.Wait()
	var lines []string
	for what, n := range refused {
		lines = append(lines, fmt.Sprintf("%4d × %s", n, what))
	}
	sort.Strings(lines)
	if len(lines) > 0 {
		t.Errorf("dependent requests refused on another node:\n%s", strings.Join(lines, "\n"))
	}
}
