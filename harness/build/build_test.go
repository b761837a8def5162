package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/spec"
	"github.com/perfharness/harness/harness/toolchain"
)

// resolver is shared so each toolchain is resolved once. GOPROXY=off keeps
// the tests off the network: go1.27.3 is used only when it is already in the
// module cache.
var resolver = &toolchain.Resolver{Env: append(os.Environ(), "GOPROXY=off")}

func needGo(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs real builds; skipped with -short")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
}

func resolve(t *testing.T, name string) *toolchain.Toolchain {
	t.Helper()
	needGo(t)
	tc, err := resolver.Resolve(context.Background(), name)
	if err != nil {
		if name != "local" {
			t.Skipf("toolchain %s is not available offline: %v", name, err)
		}
		t.Fatal(err)
	}
	return tc
}

// writeModule writes a module example.com/m with the given files into a
// fresh folder named m and returns it.
func writeModule(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "m")
	if _, ok := files["go.mod"]; !ok {
		files["go.mod"] = "module example.com/m\n\ngo 1.22\n"
	}
	for name, text := range files {
		write(t, filepath.Join(dir, name), text)
	}
	return dir
}

func write(t testing.TB, file, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

const mainV1 = "package main\n\nfunc main() { println(\"v1\") }\n"

// planBuild is a plan build as plan.Make makes it, for the package folder
// pkg.
func planBuild(tc *toolchain.Toolchain, pkg, kind, goexp string, flags ...string) *plan.Build {
	key := filepath.Base(pkg) + "@" + tc.Name
	if goexp != "" {
		key += "+" + goexp
	}
	return &plan.Build{
		Key: key, Package: pkg, Kind: kind, TC: tc, GOEXP: goexp,
		Env:   tc.BuildEnv(nil, "GOEXPERIMENT="+goexp),
		Flags: append([]string{"-buildvcs=false"}, append(flags, "-pgo=off")...),
	}
}

func request(t *testing.T, pb *plan.Build) *Request {
	t.Helper()
	r, err := FromPlan(pb)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// events records progress events.
type events struct {
	mu   sync.Mutex
	list []Event
}

func (e *events) add(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, ev)
}

func (e *events) count(k EventKind) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.list {
		if ev.Kind == k {
			n++
		}
	}
	return n
}

func mustBuild(t *testing.T, b *Builder, r *Request) *Result {
	t.Helper()
	res, err := b.BuildOne(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func runBinary(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", bin, args, err, out)
	}
	return string(out)
}

func TestCacheHitAndRebuilds(t *testing.T) {
	local := resolve(t, "local")
	mod := writeModule(t, map[string]string{
		"cmd/w/main.go":     mainV1,
		"cmd/w/w_test.go":   "package main\n",
		"cmd/w/off.go":      "//go:build ignore\n\npackage main\n\nfunc init() { println(\"off\") }\n",
		"cmd/other/main.go": mainV1,
		"internal/x/x.go":   "package x\n",
	})
	pkg := filepath.Join(mod, "cmd", "w")
	cache := t.TempDir()
	build := func(pb *plan.Build) (*Result, *events) {
		t.Helper()
		ev := &events{}
		b := &Builder{Dir: cache, Progress: ev.add} // a fresh Builder is a new run
		return mustBuild(t, b, request(t, pb)), ev
	}

	first, ev := build(planBuild(local, pkg, spec.KindFixedRate, ""))
	if first.Cached || ev.count(Started) != 1 || ev.count(Built) != 1 {
		t.Fatalf("first build: cached=%v, events %v", first.Cached, ev.list)
	}
	if got := runBinary(t, first.Binary); got != "v1\n" {
		t.Fatalf("binary printed %q", got)
	}
	if first.Size <= 0 || first.BuildTime <= 0 || first.GoVersion != local.Version || first.LogFile == "" {
		t.Errorf("metadata: size %d, build time %v, go version %q, log %q", first.Size, first.BuildTime, first.GoVersion, first.LogFile)
	}
	if !slices.Contains(first.Command, "-pgo=off") || first.WorkDir != mod || first.Command[len(first.Command)-1] != "./cmd/w" {
		t.Errorf("command %q in %s: want the package relative to the module root", first.Command, first.WorkDir)
	}

	again, ev := build(planBuild(local, pkg, spec.KindFixedRate, ""))
	if !again.Cached || ev.count(Started) != 0 || ev.count(CacheHit) != 1 {
		t.Fatalf("identical input: cached=%v, events %v; want one cache hit and no build", again.Cached, ev.list)
	}
	if again.Binary != first.Binary || again.Key != first.Key || again.BuildTime != first.BuildTime {
		t.Errorf("cache hit differs: %s %s %v vs %s %s %v", again.Binary, again.Key, again.BuildTime, first.Binary, first.Key, first.BuildTime)
	}

	rebuilds := func(why string, pb *plan.Build, want bool) *Result {
		t.Helper()
		res, _ := build(pb)
		if res.Cached == want {
			t.Errorf("%s: cached=%v, want a %s", why, res.Cached, map[bool]string{true: "rebuild", false: "cache hit"}[want])
		}
		return res
	}
	base := func() *plan.Build { return planBuild(local, pkg, spec.KindFixedRate, "") }

	rebuilds("unchanged", base(), false)
	write(t, filepath.Join(pkg, "w_test.go"), "package main\n\n// edited\n")
	rebuilds("editing a test file does not touch a program", base(), false)
	rebuilds("an unrelated package", base(), false)
	write(t, filepath.Join(mod, "internal", "x", "x.go"), "package x\n\nvar X = 1\n")
	rebuilds("a package the program does not import", base(), false)

	write(t, filepath.Join(pkg, "main.go"), "package main\n\nfunc main() { println(\"v2\") }\n")
	res := rebuilds("a source file changed", base(), true)
	if got := runBinary(t, res.Binary); got != "v2\n" {
		t.Errorf("rebuilt binary printed %q, want v2", got)
	}
	rebuilds("unchanged since the rebuild", base(), false)

	write(t, filepath.Join(pkg, "extra.go"), "package main\n\nfunc init() { println(\"extra\") }\n")
	res = rebuilds("a new file in the package", base(), true)
	if got := runBinary(t, res.Binary); got != "extra\nv2\n" {
		t.Errorf("binary printed %q", got)
	}

	write(t, filepath.Join(pkg, "off.go"), "package main\n\nfunc init() { println(\"off\") }\n")
	rebuilds("an ignored file's build constraint removed", base(), true)

	write(t, filepath.Join(mod, "go.mod"), "module example.com/m\n\ngo 1.23\n")
	rebuilds("go.mod changed", base(), true)

	rebuilds("a flag changed", planBuild(local, pkg, spec.KindFixedRate, "", "-ldflags=-s -w"), true)
	rebuilds("a flag changed", planBuild(local, pkg, spec.KindFixedRate, "", "-gcflags=all=-N -l"), true)

	pb := base()
	pb.Env = append(pb.Env, "GOCACHE="+t.TempDir(), "HOME=/elsewhere")
	rebuilds("GOCACHE and HOME do not change the binary", pb, false)

	res = rebuilds("GOEXPERIMENT changed", planBuild(local, pkg, spec.KindFixedRate, "arenas"), true)
	if !strings.Contains(res.GoVersion, "X:arenas") || !slices.Contains(res.Settings, settingOf("GOEXPERIMENT", "arenas")) {
		t.Errorf("arenas build: go version %q, settings %v", res.GoVersion, res.Settings)
	}

	if go127 := resolveOptional(t, "go1.27.3"); go127 != nil {
		res = rebuilds("toolchain changed", planBuild(go127, pkg, spec.KindFixedRate, ""), true)
		if res.GoVersion != "go1.27.3" {
			t.Errorf("go1.27.3 build has go version %q", res.GoVersion)
		}
		rebuilds("toolchain unchanged", planBuild(go127, pkg, spec.KindFixedRate, ""), false)
	}
}

func resolveOptional(t *testing.T, name string) *toolchain.Toolchain {
	t.Helper()
	tc, err := resolver.Resolve(context.Background(), name)
	if err != nil {
		t.Logf("skipping the %s part: %v", name, err)
		return nil
	}
	return tc
}

func settingOf(k, v string) debug.BuildSetting { return debug.BuildSetting{Key: k, Value: v} }

func TestFailureDoesNotStopOthers(t *testing.T) {
	local := resolve(t, "local")
	mod := writeModule(t, map[string]string{
		"good/main.go": mainV1,
		"bad/main.go":  "package main\n\nfunc main() { nope() }\n",
	})
	ev := &events{}
	b := &Builder{Dir: t.TempDir(), Progress: ev.add}
	results := b.Build(context.Background(), []*Request{
		request(t, planBuild(local, filepath.Join(mod, "bad"), spec.KindFixedRate, "")),
		request(t, planBuild(local, filepath.Join(mod, "good"), spec.KindFixedRate, "")),
	})
	bad, good := results[0], results[1]
	if good.Err != nil {
		t.Fatalf("the good build failed: %v", good.Err)
	}
	if bad.Err == nil {
		t.Fatal("the bad build succeeded")
	}
	msg := bad.Err.Error()
	for _, want := range []string{"building bad@local: exit status 1: ", "undefined: nope"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	var exitErr *exec.ExitError
	if !errors.As(bad.Err, &exitErr) {
		t.Errorf("error %v does not wrap the go command's exit error", bad.Err)
	}
	if bad.Binary != "" || ev.count(Failed) != 1 || ev.count(Built) != 1 {
		t.Errorf("binary %q, events %v", bad.Binary, ev.list)
	}
	logFile := filepath.Join(t.TempDir(), "bad.log")
	if err := bad.WriteLog(logFile); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(logFile); !strings.Contains(string(data), "undefined: nope") {
		t.Errorf("failed build's log: %q", data)
	}
	// The failure is not cached: the next run tries again.
	again, err := (&Builder{Dir: b.Dir}).BuildOne(context.Background(), bad.Request)
	if err == nil || again.Cached {
		t.Errorf("second attempt: cached=%v err=%v", again.Cached, err)
	}
}

func TestTailOfLongLog(t *testing.T) {
	var log strings.Builder
	for i := 1; i <= 100; i++ {
		fmt.Fprintf(&log, "line %d\n", i)
	}
	err := withTail(errors.New("exit status 1"), []byte(log.String()))
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != tailLines || lines[0] != "exit status 1: line 81" || lines[len(lines)-1] != "line 100" {
		t.Errorf("tail: %q", lines)
	}
	if got := withTail(errors.New("x"), []byte("\n \n")).Error(); got != "x" {
		t.Errorf("empty log: %q", got)
	}
}

func TestBuildInfoMismatchFailsTheBuild(t *testing.T) {
	local := resolve(t, "local")
	mod := writeModule(t, map[string]string{"main.go": mainV1})
	for _, tt := range []struct {
		why    string
		mutate func(tc *toolchain.Toolchain)
		want   string
	}{
		{"the toolchain claims another version", func(tc *toolchain.Toolchain) { tc.Version = "go1.99.0" },
			"the binary was built by " + local.Version + ", the toolchain is go1.99.0"},
		{"the toolchain claims arenas is on by default", func(tc *toolchain.Toolchain) { tc.Defaults = append(tc.Defaults, "arenas") },
			"unexpected [arenas]"},
	} {
		t.Run(tt.why, func(t *testing.T) {
			tc := copyToolchain(local)
			tt.mutate(tc)
			b := &Builder{Dir: t.TempDir()}
			res, err := b.BuildOne(context.Background(), request(t, planBuild(tc, mod, spec.KindFixedRate, "")))
			if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrMismatch with %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "building m@local: build info does not match the build: ") {
				t.Errorf("err = %v", err)
			}
			if _, err := os.Stat(b.entryDir(res.Key)); err == nil {
				t.Error("a mismatching binary was published")
			}
		})
	}
}

// copyToolchain copies the exported fields of a resolved toolchain, as a
// fresh process would resolve it.
func copyToolchain(tc *toolchain.Toolchain) *toolchain.Toolchain {
	return &toolchain.Toolchain{
		Name: tc.Name, Go: tc.Go, GOROOT: tc.GOROOT, Version: tc.Version, GOOS: tc.GOOS, GOARCH: tc.GOARCH,
		Experiments: tc.Experiments, Defaults: slices.Clone(tc.Defaults), GoEnv: tc.GoEnv,
	}
}

func TestGoTestKind(t *testing.T) {
	local := resolve(t, "local")
	mod := writeModule(t, map[string]string{
		"bench/bench.go": "package bench\n\nfunc Double(x int) int { return 2 * x }\n",
		"bench/bench_test.go": `package bench

import "testing"

func TestDouble(t *testing.T) {
	if Double(2) != 4 {
		t.Fatal("wrong")
	}
}

func BenchmarkDouble(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Double(i)
	}
}
`,
	})
	b := &Builder{Dir: t.TempDir()}
	pb := planBuild(local, filepath.Join(mod, "bench"), spec.KindGoTest, "")
	res := mustBuild(t, b, request(t, pb))
	if filepath.Base(res.Binary) != "bench.test" || res.Command[1] != "test" || res.Command[2] != "-c" {
		t.Errorf("binary %s from %q", res.Binary, res.Command)
	}
	if out := runBinary(t, res.Binary, "-test.run=TestDouble", "-test.v"); !strings.Contains(out, "--- PASS: TestDouble") {
		t.Errorf("test binary output:\n%s", out)
	}
	// The test file is part of a test binary's sources.
	write(t, filepath.Join(mod, "bench", "bench_test.go"), "package bench\n\nimport \"testing\"\n\nfunc TestOther(t *testing.T) {}\n")
	again := mustBuild(t, &Builder{Dir: b.Dir}, request(t, pb))
	if again.Cached {
		t.Error("editing the test file did not rebuild the test binary")
	}
	if out := runBinary(t, again.Binary, "-test.v"); !strings.Contains(out, "TestOther") {
		t.Errorf("rebuilt test binary output:\n%s", out)
	}
}

func TestShellMetacharactersStayArguments(t *testing.T) {
	local := resolve(t, "local")
	mod := writeModule(t, map[string]string{"main.go": mainV1})
	marker := filepath.Join(os.TempDir(), fmt.Sprintf("pwned-%d", time.Now().UnixNano()))
	flag := "-gcflags=all=-l; touch " + marker
	for _, f := range []string{flag, "-ldflags=-X main.x=$(touch " + marker + ")"} {
		res, _ := (&Builder{Dir: t.TempDir()}).BuildOne(context.Background(),
			request(t, planBuild(local, mod, spec.KindFixedRate, "", f)))
		if _, err := os.Stat(marker); err == nil {
			os.Remove(marker)
			t.Fatalf("flag %q ran a shell command", f)
		}
		if !slices.Contains(res.Command, f) {
			t.Errorf("flag %q is not one argument of %q", f, res.Command)
		}
	}
}

func TestConcurrentBuildsOfOneKey(t *testing.T) {
	local := resolve(t, "local")
	mod := writeModule(t, map[string]string{"main.go": mainV1})
	cache := t.TempDir()
	pb := planBuild(local, mod, spec.KindFixedRate, "")

	// Two Builders stand for two harness processes sharing the cache; each
	// also gets the same request twice in one batch.
	ev := &events{}
	var wg sync.WaitGroup
	results := make([][]*Result, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := &Builder{Dir: cache, Progress: ev.add}
			results[i] = b.Build(context.Background(), []*Request{request(t, pb), request(t, pb)})
		}()
	}
	wg.Wait()
	var bins []string
	for _, rs := range results {
		for _, r := range rs {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			bins = append(bins, r.Binary)
		}
	}
	for _, bin := range bins {
		if bin != bins[0] {
			t.Errorf("binaries %q: want one entry", bins)
			break
		}
	}
	if n := ev.count(Started); n < 1 || n > 2 {
		t.Errorf("%d builds started; want one per Builder at most", n)
	}
	if got := runBinary(t, bins[0]); got != "v1\n" {
		t.Errorf("binary printed %q", got)
	}
	if tmp, _ := os.ReadDir(filepath.Join(cache, layoutVersion, "tmp")); len(tmp) != 0 {
		t.Errorf("temporary folders left: %v", tmp)
	}
	res := mustBuild(t, &Builder{Dir: cache}, request(t, pb))
	if !res.Cached {
		t.Error("the entry is not a cache hit after the race")
	}
}

func TestBrokenEntryIsRebuilt(t *testing.T) {
	local := resolve(t, "local")
	mod := writeModule(t, map[string]string{"main.go": mainV1})
	cache := t.TempDir()
	pb := planBuild(local, mod, spec.KindFixedRate, "")
	first := mustBuild(t, &Builder{Dir: cache}, request(t, pb))
	if err := os.WriteFile(first.Binary, []byte("cut short"), 0o755); err != nil {
		t.Fatal(err)
	}
	res := mustBuild(t, &Builder{Dir: cache}, request(t, pb))
	if res.Cached {
		t.Fatal("a truncated binary was used")
	}
	if got := runBinary(t, res.Binary); got != "v1\n" {
		t.Errorf("binary printed %q", got)
	}
}

func TestCancelKillsTheBuild(t *testing.T) {
	local := resolve(t, "local")
	mod := writeModule(t, map[string]string{"main.go": "package main\n\nimport \"net/http\"\n\nfunc main() { http.ListenAndServe(\"\", nil) }\n"})
	pb := planBuild(local, mod, spec.KindFixedRate, "")
	pb.Env = append(pb.Env, "GOCACHE="+t.TempDir()) // an empty GOCACHE makes the build slow
	ctx, cancel := context.WithCancel(context.Background())
	b := &Builder{Dir: t.TempDir(), Progress: func(e Event) {
		if e.Kind == Started {
			time.AfterFunc(300*time.Millisecond, cancel)
		}
	}}
	start := time.Now()
	_, err := b.BuildOne(ctx, request(t, pb))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("cancelled build returned after %v", d)
	}
}

func TestPackageRequest(t *testing.T) {
	local := resolve(t, "local")
	// lib stands for the workloads module; user for a module that requires
	// it through a local replacement.
	lib := writeModule(t, map[string]string{
		"go.mod":              "module example.com/lib\n\ngo 1.22\n",
		"httpload/main.go":    "package main\n\nimport \"example.com/lib/internal/msg\"\n\nfunc main() { println(msg.Text) }\n",
		"internal/msg/msg.go": "package msg\n\nconst Text = \"load\"\n",
	})
	user := writeModule(t, map[string]string{
		"go.mod":       "module example.com/user\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => " + lib + "\n",
		"wl/main.go":   mainV1,
		"wl/extra.txt": "",
	})
	cache := t.TempDir()

	for _, tt := range []struct {
		why, moduleDir, pkg, wantDir, wantPkg string
	}{
		{"import path in its own module", filepath.Join(lib, "httpload"), "example.com/lib/httpload", lib, "example.com/lib/httpload"},
		{"import path from a module that requires it", filepath.Join(user, "wl"), "example.com/lib/httpload", user, "example.com/lib/httpload"},
		{"folder relative to the module dir", lib, "./httpload", lib, "./httpload"},
		{"absolute folder", user, filepath.Join(lib, "httpload"), lib, "./httpload"},
	} {
		t.Run(tt.why, func(t *testing.T) {
			r, err := Package(local, tt.moduleDir, tt.pkg)
			if err != nil {
				t.Fatal(err)
			}
			if r.Dir != tt.wantDir || r.Package != tt.wantPkg || r.Label != "httpload@local" {
				t.Errorf("request %s %s (%s), want %s %s", r.Dir, r.Package, r.Label, tt.wantDir, tt.wantPkg)
			}
			res := mustBuild(t, &Builder{Dir: cache}, r)
			if got := runBinary(t, res.Binary); got != "load\n" {
				t.Errorf("binary printed %q", got)
			}
		})
	}
	// A change in the replaced module rebuilds the user module's binary.
	write(t, filepath.Join(lib, "internal", "msg", "msg.go"), "package msg\n\nconst Text = \"load2\"\n")
	r, _ := Package(local, user, "example.com/lib/httpload")
	res := mustBuild(t, &Builder{Dir: cache}, r)
	if res.Cached || runBinary(t, res.Binary) != "load2\n" {
		t.Errorf("after editing the replaced module: cached=%v", res.Cached)
	}
	if _, err := Package(local, t.TempDir(), "example.com/x"); err == nil || !strings.Contains(err.Error(), "no go.mod at or above") {
		t.Errorf("no module: err = %v", err)
	}
}

func TestPGORequests(t *testing.T) {
	local := resolve(t, "local")
	mod := writeModule(t, map[string]string{"main.go": mainV1})
	pb := planBuild(local, mod, spec.KindFixedRate, "")
	pb.PGO, pb.Key = "auto", pb.Key+"+pgo=auto"
	pb.Flags = slices.DeleteFunc(slices.Clone(pb.Flags), isPGOFlag) // plan leaves -pgo out for auto

	if _, err := FromPlan(pb); !errors.Is(err, ErrNeedsProfile) {
		t.Errorf("FromPlan(pgo auto) err = %v, want ErrNeedsProfile", err)
	}
	prof, err := ForProfiling(pb)
	if err != nil {
		t.Fatal(err)
	}
	off := request(t, planBuild(local, mod, spec.KindFixedRate, ""))
	if !slices.Equal(prof.Flags, off.Flags) || prof.Label != "m@local+pgo=off" {
		t.Errorf("profiling pass flags %q (%s), want those of a pgo=off cell %q", prof.Flags, prof.Label, off.Flags)
	}

	dir := t.TempDir()
	p1, p2, p3 := filepath.Join(dir, "a.pprof"), filepath.Join(dir, "b.pprof"), filepath.Join(dir, "c.pprof")
	write(t, p1, "profile one")
	write(t, p2, "profile one")
	write(t, p3, "profile two")
	b := &Builder{Dir: t.TempDir()}
	b.init()
	key := func(profile string) string {
		t.Helper()
		r, err := WithProfile(pb, profile)
		if err != nil {
			t.Fatal(err)
		}
		if r.Flags[len(r.Flags)-1] != "-pgo="+profile {
			t.Errorf("flags %q lack -pgo=%s", r.Flags, profile)
		}
		k, _, err := b.key(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	if key(p1) != key(p2) {
		t.Error("the same profile at another path changed the key")
	}
	if key(p1) == key(p3) {
		t.Error("another profile kept the key")
	}
	if _, err := WithProfile(pb, filepath.Join(dir, "missing.pprof")); err == nil {
		t.Error("WithProfile accepted a missing profile")
	}

	base := &Result{Key: strings.Repeat("ab", 32)}
	if _, ok := b.Profile(base); ok {
		t.Error("a profile before any was kept")
	}
	kept, err := b.KeepProfile(base, p3)
	if path, ok := b.Profile(base); err != nil || !ok || path != kept {
		t.Errorf("KeepProfile = %s, %v; Profile = %s, %v", kept, err, path, ok)
	}
}

func TestRequestValidation(t *testing.T) {
	tc := &toolchain.Toolchain{Name: "local", Go: "/usr/bin/go"}
	ok := Request{Label: "w", TC: tc, Dir: "/m", Package: ".", Env: []string{"A=1"}, Flags: []string{"-tags=x"}}
	for _, tt := range []struct {
		why    string
		mutate func(r *Request)
		want   string
	}{
		{"fine", func(r *Request) {}, ""},
		{"nil env would inherit ours", func(r *Request) { r.Env = nil }, "no build environment"},
		{"output is ours", func(r *Request) { r.Flags = []string{"-o", "x"} }, `flag "-o"`},
		{"a package in the flags", func(r *Request) { r.Flags = []string{"./other"} }, "does not start with -"},
		{"relative module folder", func(r *Request) { r.Dir = "m" }, "not absolute"},
		{"no toolchain", func(r *Request) { r.TC = nil }, "no toolchain"},
	} {
		r := ok
		tt.mutate(&r)
		err := r.validate()
		if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.why, err, tt.want)
		}
	}
}
