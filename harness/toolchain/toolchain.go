// Package toolchain resolves the Go toolchains a spec names — the go on PATH
// ("local"), a released version ("go1.27.3", fetched by the go command itself
// through GOTOOLCHAIN and cached in the module cache), or a GOROOT path — and
// asks each which GOEXPERIMENTs it knows and has on by default.
//
// It also owns the hermetic environment every build gets: GOTOOLCHAIN=local,
// GOWORK=off, GOENV=off, GOFLAGS empty, with the module and cache settings the
// user's go would have used written out explicitly, so a build depends only on
// what the plan shows.
//
// plan uses it to validate cells; build uses it to run the toolchain's go.
package toolchain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// A Toolchain is a resolved Go toolchain.
type Toolchain struct {
	Name    string `json:"name"`    // as written in the spec
	Go      string `json:"go"`      // absolute path of its go command
	GOROOT  string `json:"goroot"`  // its GOROOT
	Version string `json:"version"` // e.g. go1.27.3
	GOOS    string `json:"goos"`
	GOARCH  string `json:"goarch"`
	// Experiments is every GOEXPERIMENT name the toolchain knows, sorted;
	// empty when its source does not say (very old toolchains).
	Experiments []string `json:"experiments"`
	// Defaults are the experiments on when GOEXPERIMENT is empty.
	Defaults []string `json:"default_experiments"`
	// GoEnv holds the module and cache settings the user's go reports; they
	// are written into every build environment explicitly because GOENV=off
	// would otherwise drop them.
	GoEnv []string `json:"go_env"`

	mu       sync.Mutex
	effCache map[string]effResult
	id       string
	cpuOpts  []CPUOption // see CPUOptions
	cpuErr   error
}

type effResult struct {
	on  []string
	err error
}

// goEnvKeys are the go env settings carried into hermetic builds.
var goEnvKeys = []string{"GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOINSECURE", "GOMODCACHE", "GOCACHE", "GOPATH", "CGO_ENABLED", "CC", "CXX"}

// A Resolver resolves toolchain names, once each.
type Resolver struct {
	// LocalGo is the go command for "local" and for fetching versions;
	// "go" (looked up on PATH) when empty.
	LocalGo string
	// Env is the environment resolution runs in; os.Environ() when nil.
	Env []string
	// Progress, if set, receives a line before a slow step (a download).
	Progress func(msg string)

	mu    sync.Mutex
	cache map[string]*resolveResult
}

type resolveResult struct {
	done chan struct{}
	tc   *Toolchain
	err  error
}

var versionRE = regexp.MustCompile(`^go1(\.[0-9]+){1,2}((rc|beta)[0-9]+)?$`)

// Resolve returns the toolchain for name. Concurrent calls for one name share
// the work.
func (r *Resolver) Resolve(ctx context.Context, name string) (*Toolchain, error) {
	r.mu.Lock()
	if r.cache == nil {
		r.cache = map[string]*resolveResult{}
	}
	res, ok := r.cache[name]
	if !ok {
		res = &resolveResult{done: make(chan struct{})}
		r.cache[name] = res
		r.mu.Unlock()
		res.tc, res.err = r.resolve(ctx, name)
		close(res.done)
	} else {
		r.mu.Unlock()
		select {
		case <-res.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return res.tc, res.err
}

func (r *Resolver) env() []string {
	if r.Env != nil {
		return r.Env
	}
	return os.Environ()
}

func (r *Resolver) localGo() (string, error) {
	g := r.LocalGo
	if g == "" {
		g = "go"
	}
	p, err := exec.LookPath(g)
	if err != nil {
		return "", fmt.Errorf("no go command found (%w); install Go or name a GOROOT path", err)
	}
	return filepath.Abs(p)
}

func (r *Resolver) resolve(ctx context.Context, name string) (*Toolchain, error) {
	var goBin string
	switch {
	case name == "local":
		g, err := r.localGo()
		if err != nil {
			return nil, err
		}
		// Ask the local go where its GOROOT is, with GOTOOLCHAIN=local so a
		// toolchain line in some go.mod cannot switch it.
		out, err := run(ctx, g, withEnv(r.env(), "GOTOOLCHAIN=local"), "", "env", "GOROOT")
		if err != nil {
			return nil, fmt.Errorf("toolchain local: %w", err)
		}
		goBin = filepath.Join(strings.TrimSpace(out), "bin", "go")
	case versionRE.MatchString(name):
		g, err := r.localGo()
		if err != nil {
			return nil, err
		}
		// Say so only when it is slow: a first use downloads the toolchain.
		if r.Progress != nil {
			t := time.AfterFunc(time.Second, func() {
				r.Progress(fmt.Sprintf("fetching toolchain %s through the go command (first use downloads it)", name))
			})
			defer t.Stop()
		}
		out, err := run(ctx, g, withEnv(r.env(), "GOTOOLCHAIN="+name), "", "env", "GOROOT")
		if err != nil {
			return nil, fmt.Errorf("toolchain %s: fetching it through GOTOOLCHAIN=%s failed: %w", name, name, err)
		}
		goBin = filepath.Join(strings.TrimSpace(out), "bin", "go")
	default:
		root, err := filepath.Abs(name)
		if err != nil {
			return nil, err
		}
		goBin = filepath.Join(root, "bin", "go")
	}
	if _, err := os.Stat(goBin); err != nil {
		return nil, fmt.Errorf("toolchain %s: no go command at %s", name, goBin)
	}
	tc := &Toolchain{Name: name, Go: goBin}
	env := withEnv(r.env(), "GOTOOLCHAIN=local")
	out, err := run(ctx, goBin, env, "", append([]string{"env"}, append([]string{"GOROOT", "GOVERSION", "GOOS", "GOARCH"}, goEnvKeys...)...)...)
	if err != nil {
		return nil, fmt.Errorf("toolchain %s: %w", name, err)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 4+len(goEnvKeys) {
		return nil, fmt.Errorf("toolchain %s: unexpected go env output %q", name, out)
	}
	tc.GOROOT, tc.Version, tc.GOOS, tc.GOARCH = lines[0], lines[1], lines[2], lines[3]
	for i, k := range goEnvKeys {
		tc.GoEnv = append(tc.GoEnv, k+"="+lines[4+i])
	}
	if versionRE.MatchString(name) && tc.Version != name {
		return nil, fmt.Errorf("toolchain %s: GOTOOLCHAIN=%s gave %s", name, name, tc.Version)
	}
	tc.Experiments = knownExperiments(tc.GOROOT)
	on, err := tc.Effective(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("toolchain %s: %w", name, err)
	}
	tc.Defaults = on
	return tc, nil
}

// knownExperiments reads the GOEXPERIMENT names from the toolchain's own
// source: the boolean fields of internal/goexperiment.Flags, lower-cased, which
// is exactly how the go command parses GOEXPERIMENT.
func knownExperiments(goroot string) []string {
	file := filepath.Join(goroot, "src", "internal", "goexperiment", "flags.go")
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil
	}
	var names []string
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "Flags" {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			return false
		}
		for _, fld := range st.Fields.List {
			if id, ok := fld.Type.(*ast.Ident); ok && id.Name == "bool" {
				for _, n := range fld.Names {
					names = append(names, strings.ToLower(n.Name))
				}
			}
		}
		return false
	})
	sort.Strings(names)
	return names
}

// Effective returns the experiments in effect when building with
// GOEXPERIMENT=goexperiment, as the toolchain itself reports them (its
// goexperiment.* build tags). An experiment the toolchain does not know is an
// *UnknownExperimentError.
func (t *Toolchain) Effective(ctx context.Context, goexperiment string) ([]string, error) {
	t.mu.Lock()
	if r, ok := t.effCache[goexperiment]; ok {
		t.mu.Unlock()
		return r.on, r.err
	}
	t.mu.Unlock()
	on, err := t.effective(ctx, goexperiment)
	t.mu.Lock()
	if t.effCache == nil {
		t.effCache = map[string]effResult{}
	}
	t.effCache[goexperiment] = effResult{on, err}
	t.mu.Unlock()
	return on, err
}

func (t *Toolchain) effective(ctx context.Context, goexperiment string) ([]string, error) {
	if unknown := t.Unknown(goexperiment); len(unknown) > 0 {
		return nil, &UnknownExperimentError{Toolchain: t.Name, Version: t.Version, Unknown: unknown, Known: t.Experiments}
	}
	env := t.BuildEnv(nil, "GOEXPERIMENT="+goexperiment)
	out, err := run(ctx, t.Go, env, os.TempDir(), "list", "-f", "{{context.ToolTags}}", "runtime")
	if err != nil {
		if strings.Contains(err.Error(), "GOEXPERIMENT") {
			return nil, &UnknownExperimentError{Toolchain: t.Name, Version: t.Version, Known: t.Experiments, Detail: err.Error()}
		}
		return nil, fmt.Errorf("asking %s for its experiments: %w", t.Version, err)
	}
	var on []string
	for _, tag := range strings.Fields(strings.Trim(strings.TrimSpace(out), "[]")) {
		if e, ok := strings.CutPrefix(tag, "goexperiment."); ok {
			on = append(on, e)
		}
	}
	sort.Strings(on)
	return on, nil
}

// Unknown returns the names in a GOEXPERIMENT value (comma list, "no"
// prefixes allowed) that the toolchain does not know. It returns nothing when
// the toolchain's experiment list is unknown.
func (t *Toolchain) Unknown(goexperiment string) []string {
	if goexperiment == "" || len(t.Experiments) == 0 {
		return nil
	}
	var unknown []string
	for _, e := range strings.Split(goexperiment, ",") {
		name := strings.TrimSpace(e)
		if !t.Knows(name) {
			if n, ok := strings.CutPrefix(name, "no"); ok && t.Knows(n) {
				continue
			}
			unknown = append(unknown, name)
		}
	}
	return unknown
}

// Knows reports whether the toolchain knows the experiment name.
func (t *Toolchain) Knows(name string) bool {
	i := sort.SearchStrings(t.Experiments, name)
	return i < len(t.Experiments) && t.Experiments[i] == name
}

// An UnknownExperimentError says a toolchain lacks a GOEXPERIMENT.
type UnknownExperimentError struct {
	Toolchain, Version string
	Unknown            []string
	Known              []string
	Detail             string // the go command's own message, when it is the source
}

func (e *UnknownExperimentError) Error() string {
	var b strings.Builder
	tc := e.Toolchain
	if e.Version != "" && e.Version != tc {
		tc += " (" + e.Version + ")"
	}
	if len(e.Unknown) > 0 {
		fmt.Fprintf(&b, "toolchain %s does not know GOEXPERIMENT %s", tc, strings.Join(quoteAll(e.Unknown), ", "))
	} else {
		fmt.Fprintf(&b, "toolchain %s rejects the GOEXPERIMENT: %s", tc, e.Detail)
	}
	if len(e.Known) > 0 {
		fmt.Fprintf(&b, "; it knows: %s", strings.Join(e.Known, ", "))
	}
	return b.String()
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}

// BuildEnv returns the hermetic environment for running this toolchain's go:
// a minimal base (PATH with GOROOT/bin first, HOME, TMPDIR), the user's module
// and cache settings made explicit, GOTOOLCHAIN=local, GOWORK=off, GOENV=off,
// GOFLAGS empty, then the given settings (KEY=VALUE), which win.
func (t *Toolchain) BuildEnv(base []string, set ...string) []string {
	if base == nil {
		base = os.Environ()
	}
	env := []string{"PATH=" + filepath.Join(t.GOROOT, "bin") + string(os.PathListSeparator) + Getenv(base, "PATH")}
	for _, k := range []string{"HOME", "TMPDIR", "USER", "LANG"} {
		if v := Getenv(base, k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	for _, kv := range t.GoEnv {
		if k, v, _ := strings.Cut(kv, "="); v != "" || k == "CGO_ENABLED" {
			env = append(env, kv)
		}
	}
	env = append(env, "GOROOT="+t.GOROOT, "GOTOOLCHAIN=local", "GOWORK=off", "GOENV=off", "GOFLAGS=")
	return withEnv(env, set...)
}

// Identity is a digest of the toolchain's go command and compiler binaries:
// two toolchains with equal identities build identical binaries from equal
// inputs. Build cache keys use it.
func (t *Toolchain) Identity() (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.id != "" {
		return t.id, nil
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s %s/%s\n", t.Version, t.GOOS, t.GOARCH)
	tools := filepath.Join(t.GOROOT, "pkg", "tool", t.GOOS+"_"+t.GOARCH)
	for _, f := range []string{t.Go, filepath.Join(tools, "compile"), filepath.Join(tools, "link"), filepath.Join(tools, "asm")} {
		if err := hashFile(h, f); err != nil {
			return "", fmt.Errorf("toolchain %s identity: %w", t.Name, err)
		}
	}
	t.id = hex.EncodeToString(h.Sum(nil))[:32]
	return t.id, nil
}

func hashFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// Getenv returns the value of key in an environment list (KEY=VALUE
// strings), the last one when it is set twice, as exec would pass it.
func Getenv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// withEnv returns env with each KEY=VALUE in set replacing any earlier value.
func withEnv(env []string, set ...string) []string {
	out := make([]string, 0, len(env)+len(set))
	keys := map[string]bool{}
	for _, kv := range set {
		k, _, _ := strings.Cut(kv, "=")
		keys[k] = true
	}
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !keys[k] {
			out = append(out, kv)
		}
	}
	return append(out, set...)
}

// run runs a command without a shell and returns its stdout; a failure
// carries the command's stderr.
func run(ctx context.Context, bin string, env []string, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return "", fmt.Errorf("%s %s: %w", filepath.Base(bin), strings.Join(args, " "), err)
		}
		return "", errors.New(msg)
	}
	return stdout.String(), nil
}
