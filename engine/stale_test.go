package engine

import (
	"strings"
	"testing"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/ownership"
)

func staleSnapshot(mutate func(idx *ownership.Index, live map[string]model.Live)) *Snapshot {
	idx := ownership.Index{Stack: "ci", Buckets: map[string]ownership.Entry{
		"data": ownership.NewEntry("bucket.data", model.NewAttrSet(model.AttrQuota, model.AttrTags)),
	}}
	live := map[string]model.Live{
		"data": {Exists: true, Owner: "ci", Emptiness: model.Empty, State: model.Bucket{Name: "data",
			Attrs: model.NewAttrSet(model.AttrQuota, model.AttrTags), Quota: 1 << 30, Tags: map[string]string{"team": "ml"}}},
		"new": {},
	}
	if mutate != nil {
		mutate(&idx, live)
	}
	return &Snapshot{Deployments: map[string]*DeploymentSnapshot{"main": {Index: ownership.Snapshot{Index: idx}, Live: live}}}
}

// TestDifferences: every change to what a plan was made from makes it stale, and says how.
func TestDifferences(t *testing.T) {
	before := staleSnapshot(nil)
	if d := Differences(before, staleSnapshot(nil)); len(d) != 0 {
		t.Fatalf("an unchanged server is stale: %v", d)
	}
	for _, tc := range []struct {
		name   string
		mutate func(idx *ownership.Index, live map[string]model.Live)
		want   string
	}{
		{"quota", func(_ *ownership.Index, l map[string]model.Live) {
			b := l["data"]
			b.State.Quota = 2 << 30
			l["data"] = b
		}, `bucket data: changed quota`},
		{"tags", func(_ *ownership.Index, l map[string]model.Live) {
			b := l["data"]
			b.State.Tags = map[string]string{"team": "ops"}
			l["data"] = b
		}, `bucket data: changed tags`},
		{"owner", func(_ *ownership.Index, l map[string]model.Live) {
			b := l["data"]
			b.Owner = "other"
			l["data"] = b
		}, `bucket data: its owner tag changed from "ci" to "other"`},
		{"objects", func(_ *ownership.Index, l map[string]model.Live) {
			b := l["data"]
			b.Emptiness = model.NotEmpty
			l["data"] = b
		}, `bucket data: objects were written to it or deleted from it`},
		{"deleted", func(_ *ownership.Index, l map[string]model.Live) { l["data"] = model.Live{} }, `bucket data: was deleted`},
		{"created", func(_ *ownership.Index, l map[string]model.Live) {
			l["new"] = model.Live{Exists: true, State: model.Bucket{Name: "new", Attrs: model.AttrSet{}}}
		}, `bucket new: was created`},
		{"index", func(idx *ownership.Index, _ map[string]model.Live) {
			idx.Buckets["other"] = ownership.NewEntry("bucket.other", nil)
		}, `the stack's ownership index changed`},
		{"index attrs", func(idx *ownership.Index, _ map[string]model.Live) {
			idx.Buckets["data"] = ownership.NewEntry("bucket.data", model.NewAttrSet(model.AttrQuota))
		}, `the stack's ownership index changed`},
	} {
		d := Differences(before, staleSnapshot(tc.mutate))
		if len(d) != 1 || !strings.Contains(d[0], tc.want) || !strings.HasPrefix(d[0], `minio "main": `) {
			t.Errorf("%s: differences = %q, want one naming %q", tc.name, d, tc.want)
		}
	}
	if d := Differences(before, &Snapshot{Deployments: map[string]*DeploymentSnapshot{}}); len(d) != 1 || !strings.Contains(d[0], "was not read") {
		t.Errorf("a deployment not read again: %q", d)
	}
}
