package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/toolchain"
)

// A PlanBuilder builds a plan's build configurations for run: it chooses
// the request for each (the PGO policy below), builds it through a cached
// Builder, and describes the binary as the manifest records it.
//
// The PGO policy of a pgo=auto configuration: without a profile, build its
// profiling-pass binary (the same configuration with -pgo=off) and remember
// it; with one, build with -pgo=<profile>. A profile collected with a
// profiling binary is kept in the cache beside it (KeepProfile), so an
// unchanged matrix reuses it (KeptProfile) instead of profiling and
// rebuilding again.
type PlanBuilder struct {
	b *Builder

	mu       sync.Mutex
	profiled map[string]*Result // profiling-pass builds, by plan key
}

// NewPlanBuilder returns a PlanBuilder caching under dir, or under the user
// cache folder when dir is empty.
func NewPlanBuilder(dir string) (*PlanBuilder, error) {
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("no build cache folder (%w); pass --cache", err)
		}
		dir = filepath.Join(base, "perfharness", "builds")
	}
	// Absolute: the go command runs in each module's folder.
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return &PlanBuilder{b: &Builder{Dir: dir}, profiled: map[string]*Result{}}, nil
}

// Build builds pb; profile, when set, is passed as -pgo. For a pgo=auto
// build without a profile it builds the profiling-pass binary.
func (a *PlanBuilder) Build(ctx context.Context, pb *plan.Build, profile string) (*results.Build, error) {
	var req *Request
	var err error
	switch {
	case profile != "":
		req, err = WithProfile(pb, profile)
	case pb.PGO == "auto":
		req, err = ForProfiling(pb)
	default:
		req, err = FromPlan(pb)
	}
	if err != nil {
		return nil, err
	}
	res, err := a.b.BuildOne(ctx, req)
	if err != nil {
		return nil, err
	}
	if pb.PGO == "auto" && profile == "" {
		a.mu.Lock()
		a.profiled[pb.Key] = res
		a.mu.Unlock()
	}
	return res.Record(pb.Key), nil
}

// Verified returns the binary a run recorded for the plan build pb by its
// cache key (and digest, when recorded), as Builder.Verified checks it —
// and only if the entry was built for pb's configuration: the same go
// version, command, module folder, package, environment and flags (its
// sources, and a PGO profile, may differ: a baseline ran older code). A
// manifest cannot point a cell at another binary of the cache.
func (a *PlanBuilder) Verified(pb *plan.Build, cacheKey, want string) (*results.Build, error) {
	req, err := FromPlan(pb)
	if errors.Is(err, ErrNeedsProfile) {
		req, err = ForProfiling(pb)
	}
	if err != nil {
		return nil, err
	}
	a.b.init()
	config, err := a.b.configRecipe(req)
	if err != nil {
		return nil, err
	}
	res, err := a.b.Verified(cacheKey, want)
	if err != nil {
		return nil, err
	}
	if diff := configDiff(config, res.Recipe); diff != "" {
		return nil, fmt.Errorf("build cache entry %.12s was built for another configuration than %s (%s)", cacheKey, pb.Key, diff)
	}
	return res.Record(pb.Key), nil
}

// configDiff compares the configuration lines of two recipes — all but the
// sources, the toolchain's identity (its version must match) and PGO
// flags — and describes the first difference.
func configDiff(want, got []string) string {
	keep := func(recipe []string) []string {
		var out []string
		for _, l := range recipe {
			switch {
			case strings.HasPrefix(l, "sources "), strings.HasPrefix(l, "flag -pgo"):
			case strings.HasPrefix(l, "toolchain "):
				f := strings.Fields(l)
				out = append(out, strings.Join(f[:min(2, len(f))], " "))
			default:
				out = append(out, l)
			}
		}
		return out
	}
	w, g := keep(want), keep(got)
	for i := range max(len(w), len(g)) {
		switch {
		case i >= len(g):
			return fmt.Sprintf("it lacks %q", w[i])
		case i >= len(w):
			return fmt.Sprintf("it has %q", g[i])
		case w[i] != g[i]:
			return fmt.Sprintf("%q, not %q", g[i], w[i])
		}
	}
	return ""
}

// BuildTool builds a helper program that is not a cell (the HTTP load
// client) from the module containing moduleDir, with default settings.
func (a *PlanBuilder) BuildTool(ctx context.Context, tc *toolchain.Toolchain, moduleDir, pkg string) (*results.Build, error) {
	req, err := Package(tc, moduleDir, pkg)
	if err != nil {
		return nil, err
	}
	res, err := a.b.BuildOne(ctx, req)
	if err != nil {
		return nil, err
	}
	return res.Record(pkg), nil
}

// KeptProfile returns the PGO profile kept from an earlier profiling pass
// of pb's profiling binary, if that binary is unchanged.
func (a *PlanBuilder) KeptProfile(pb *plan.Build) (string, bool) {
	a.mu.Lock()
	base := a.profiled[pb.Key]
	a.mu.Unlock()
	if base == nil {
		return "", false
	}
	return a.b.Profile(base)
}

// KeepProfile keeps the CPU profile file as the PGO profile of pb's
// profiling binary and returns the kept copy.
func (a *PlanBuilder) KeepProfile(pb *plan.Build, file string) (string, error) {
	a.mu.Lock()
	base := a.profiled[pb.Key]
	a.mu.Unlock()
	if base == nil {
		return "", fmt.Errorf("no profiling build of %s", pb.Key)
	}
	return a.b.KeepProfile(base, file)
}

// Record describes a built binary as the manifest records it under key:
// status ok, cache key, build time and size, binary and build info. Log is
// the build log in the cache (run copies it into the results folder).
func (r *Result) Record(key string) *results.Build {
	settings := map[string]string{}
	for _, s := range r.Settings {
		settings[s.Key] = s.Value
	}
	b := &results.Build{Key: key, Status: results.StatusOK, CacheKey: r.Key, Cached: r.Cached, BuildNs: r.BuildTime.Nanoseconds(),
		SizeB: r.Size, Binary: r.Binary, BinarySHA256: r.SHA256, Log: r.LogFile, GoVersion: r.GoVersion, Settings: settings}
	if r.Request != nil {
		b.ModuleRoot = r.Request.Dir
	}
	return b
}
