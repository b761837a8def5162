package build_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/perfharness/harness/harness/build"
	"github.com/perfharness/harness/harness/plan"
)

// The run package builds every distinct configuration of a plan, plus the
// HTTP load client, and prints progress as it goes.
func Example() {
	ctx := context.Background()
	var p *plan.Plan // from plan.Make

	dir, _ := os.UserCacheDir()
	b := &build.Builder{
		Dir: filepath.Join(dir, "perfharness", "builds"),
		Progress: func(e build.Event) {
			fmt.Fprintf(os.Stderr, "%-9s %s (%v)\n", e.Kind, e.Label, e.Elapsed)
		},
	}
	var reqs []*build.Request
	for _, pb := range p.Builds {
		r, err := build.FromPlan(pb)
		if errors.Is(err, build.ErrNeedsProfile) {
			r, err = build.ForProfiling(pb) // profile first; then build.WithProfile
		}
		if err != nil {
			fmt.Println(err)
			continue
		}
		reqs = append(reqs, r)
	}
	load, err := build.Package(p.Toolchains[0], p.Builds[0].Package, "github.com/perfharness/harness/workloads/httpload")
	if err == nil {
		reqs = append(reqs, load)
	}
	for _, res := range b.Build(ctx, reqs) {
		if res.Err != nil {
			fmt.Println(res.Err) // building alloc@go1.27.3+arenas: exit status 1: <last log lines>
			continue
		}
		fmt.Printf("%s: build-ns %d binary-B %d cached %v\n", res.Binary, res.BuildTime.Nanoseconds(), res.Size, res.Cached)
	}
}
