package build

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/perfharness/harness/harness/spec"
	"github.com/perfharness/harness/harness/toolchain"
)

// costModule is a small workloads-like module: two programs sharing a driver
// package.
func costModule(t testing.TB) string {
	driver := "package driver\n\nimport (\n\t\"fmt\"\n\t\"time\"\n)\n\nfunc Run(name string) { fmt.Println(name, time.Now().IsZero()) }\n"
	prog := func(name string) string {
		return "package main\n\nimport \"example.com/m/driver\"\n\nfunc main() { driver.Run(\"" + name + "\") }\n"
	}
	return writeModule(t, map[string]string{
		"driver/driver.go": driver,
		"alloc/main.go":    prog("alloc"),
		"json/main.go":     prog("json"),
	})
}

// costRequests is a matrix of two workloads × {local, local+arenas, and the
// other toolchains with default experiments} — configurations the other tests
// build too, so a fresh GOCACHE compiles the standard library no more often.
func costRequests(t *testing.T, mod string, tcs []*toolchain.Toolchain) []*Request {
	var reqs []*Request
	for i, tc := range tcs {
		exps := []string{""}
		if i == 0 {
			exps = append(exps, "arenas")
		}
		for _, exp := range exps {
			for _, w := range []string{"alloc", "json"} {
				reqs = append(reqs, request(t, planBuild(tc, filepath.Join(mod, w), spec.KindFixedRate, exp)))
			}
		}
	}
	return reqs
}

// TestSecondRunCost measures what an unchanged matrix costs the second time,
// against the first run's builds: the issue asks for under 5%. The second
// run uses a new Builder and freshly resolved toolchains, as a new harness
// process would.
func TestSecondRunCost(t *testing.T) {
	tcs := []*toolchain.Toolchain{resolve(t, "local")}
	if tc := resolveOptional(t, "go1.27.3"); tc != nil {
		tcs = append(tcs, tc)
	}
	mod := costModule(t)
	cache := t.TempDir()
	ctx := context.Background()

	// Warm GOCACHE for these packages so the first run is not inflated by
	// compiling the standard library: what remains is what our cache saves
	// (go list, linking, the buildinfo check).
	(&Builder{Dir: t.TempDir()}).Build(ctx, costRequests(t, mod, tcs))

	start := time.Now()
	first := (&Builder{Dir: cache}).Build(ctx, costRequests(t, mod, tcs))
	firstTime := time.Since(start)
	for _, r := range first {
		if r.Err != nil || r.Cached {
			t.Fatalf("first run: %s cached=%v err=%v", r.Request.Label, r.Cached, r.Err)
		}
	}

	fresh := make([]*toolchain.Toolchain, len(tcs))
	for i, tc := range tcs {
		fresh[i] = copyToolchain(tc)
	}
	reqs := costRequests(t, mod, fresh)
	ev := &events{}
	start = time.Now()
	second := (&Builder{Dir: cache, Progress: ev.add}).Build(ctx, reqs)
	secondTime := time.Since(start)
	for _, r := range second {
		if r.Err != nil || !r.Cached {
			t.Fatalf("second run: %s cached=%v err=%v", r.Request.Label, r.Cached, r.Err)
		}
	}
	if n := ev.count(Started); n != 0 || ev.count(CacheHit) != len(reqs) {
		t.Fatalf("second run started %d builds, %d cache hits of %d", n, ev.count(CacheHit), len(reqs))
	}
	ratio := float64(secondTime) / float64(firstTime)
	t.Logf("%d builds: first run %v, second run %v (all cache hits): %.2f%%", len(reqs), firstTime, secondTime, 100*ratio)
	if ratio > 0.05 {
		t.Errorf("second run took %.1f%% of the first run's build time; want under 5%%", 100*ratio)
	}
}

// BenchmarkCacheHit measures one cache hit in a new Builder (a new run): the
// key from the toolchain memo and the source manifest, and the lookup. It
// reports the cold build of the same request as cold-ns for comparison.
func BenchmarkCacheHit(b *testing.B) {
	if testing.Short() {
		b.Skip("runs real builds; skipped with -short")
	}
	tc, err := resolver.Resolve(context.Background(), "local")
	if err != nil {
		b.Skip(err)
	}
	mod := costModule(b)
	req, err := FromPlan(planBuild(tc, filepath.Join(mod, "alloc"), spec.KindFixedRate, ""))
	if err != nil {
		b.Fatal(err)
	}
	cache := b.TempDir()
	start := time.Now()
	if _, err := (&Builder{Dir: cache}).BuildOne(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	cold := time.Since(start)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := *req
		r.TC = copyToolchain(tc)
		res, err := (&Builder{Dir: cache}).BuildOne(context.Background(), &r)
		if err != nil || !res.Cached {
			b.Fatalf("cached=%v err=%v", res.Cached, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cold.Nanoseconds()), "cold-ns")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(cold.Nanoseconds())*100, "%-of-cold")
}
