package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/perfharness/harness/harness/build"
	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/run"
	"github.com/perfharness/harness/harness/toolchain"
)

// builder adapts the build package to what run needs.
type builder struct {
	b *build.Builder

	mu       sync.Mutex
	profiled map[string]*build.Result // profiling-pass builds, by plan key
}

var _ run.Builder = (*builder)(nil)

// newBuilder returns a builder caching under dir, or under the user cache
// folder when dir is empty.
func newBuilder(dir string) (*builder, error) {
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("no build cache folder (%v); pass --cache", err)
		}
		dir = filepath.Join(base, "perfharness", "builds")
	}
	// Absolute: the go command runs in each module's folder.
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return &builder{b: &build.Builder{Dir: dir}, profiled: map[string]*build.Result{}}, nil
}

func (a *builder) Build(ctx context.Context, pb *plan.Build, profile string) (*run.Built, error) {
	var req *build.Request
	var err error
	switch {
	case profile != "":
		req, err = build.WithProfile(pb, profile)
	case pb.PGO == "auto":
		req, err = build.ForProfiling(pb)
	default:
		req, err = build.FromPlan(pb)
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
	return built(res), nil
}

func (a *builder) BuildTool(ctx context.Context, tc *toolchain.Toolchain, moduleDir, pkg string) (*run.Built, error) {
	req, err := build.Package(tc, moduleDir, pkg)
	if err != nil {
		return nil, err
	}
	res, err := a.b.BuildOne(ctx, req)
	if err != nil {
		return nil, err
	}
	return built(res), nil
}

func (a *builder) KeptProfile(pb *plan.Build) (string, bool) {
	a.mu.Lock()
	base := a.profiled[pb.Key]
	a.mu.Unlock()
	if base == nil {
		return "", false
	}
	return a.b.Profile(base)
}

func (a *builder) KeepProfile(pb *plan.Build, file string) (string, error) {
	a.mu.Lock()
	base := a.profiled[pb.Key]
	a.mu.Unlock()
	if base == nil {
		return "", fmt.Errorf("no profiling build of %s", pb.Key)
	}
	return a.b.KeepProfile(base, file)
}

func built(r *build.Result) *run.Built {
	settings := map[string]string{}
	for _, s := range r.Settings {
		settings[s.Key] = s.Value
	}
	b := &run.Built{Binary: r.Binary, CacheKey: r.Key, Cached: r.Cached, BuildTime: r.BuildTime,
		Size: r.Size, Log: r.LogFile, GoVersion: r.GoVersion, Settings: settings}
	if r.Request != nil {
		b.ModuleRoot = r.Request.Dir
	}
	return b
}
