package run

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/spec"
	"github.com/perfharness/harness/harness/toolchain"
)

// Replan plans again, on host h, the spec a results folder kept — against
// the package folder it was run from — to resume the run (Options.Resume)
// or rerun some of its cells. The spec copy must hash to the digest the
// manifest records: an edited copy would plan other cells under the same
// run.
func Replan(ctx context.Context, path string, h host.Fingerprint, progress func(string)) (*plan.Plan, *results.Manifest, error) {
	d, err := results.Open(path)
	if err != nil {
		return nil, nil, err
	}
	m, err := d.ReadManifest()
	if err != nil {
		return nil, nil, err
	}
	file := filepath.Join(d.Path, results.SpecFile)
	s, err := spec.LoadIn(file, m.SpecDir)
	if err != nil {
		return nil, nil, err
	}
	if m.SpecSHA256 != "" && results.SHA256(s.Source) != m.SpecSHA256 {
		return nil, nil, fmt.Errorf("%s: the spec copy does not match the manifest's sha256", file)
	}
	p, err := plan.Make(ctx, s, h, plan.Options{Resolver: &toolchain.Resolver{Progress: progress}})
	if err != nil {
		return nil, nil, err
	}
	return p, m, nil
}
