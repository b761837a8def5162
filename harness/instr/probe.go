package instr

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/perfharness/harness/harness/toolchain"
)

//go:embed _probe/main.go
var probeSource []byte

// A CPU is what Go's runtime detects about the processor, natively and on
// valgrind's virtual CPU, by the names GODEBUG's cpu.X settings use ("adx",
// "avx512f"), for one toolchain and one GOAMD64/GOARM64 level. It is
// recorded with every instructions result: the counted code is the code
// for the virtual CPU, which may differ from the code that runs natively.
type CPU struct {
	Go       string          `json:"go"`    // the toolchain's version
	Level    string          `json:"level"` // the level setting the probe was built with, e.g. "GOAMD64=v3"; "" for the default
	Valgrind string          `json:"valgrind"`
	Native   map[string]bool `json:"native"`
	// Virtual is nil when the level's code does not run on the virtual
	// CPU; LevelError then says why (the runtime's refusal).
	Virtual    map[string]bool `json:"virtual"`
	LevelError string          `json:"level_error,omitempty"`
}

// Hidden lists the features Go sees natively but not under valgrind: code
// that takes them natively takes another path when counted.
func (c *CPU) Hidden() []string {
	var out []string
	for f, on := range c.Native {
		if on && !c.Virtual[f] {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// Masks lists the features the host lacks, which counted processes get
// GODEBUG cpu.X=off for (see Env), as the probe's own run under valgrind
// does. Valgrind's virtual CPU may advertise a feature the host cannot
// execute — valgrind 3.19 advertises RDTSCP whatever the host — and
// translates its instructions with the host's, so a program that trusts
// the advertisement dies of SIGILL, at random: Go's runtime.cputicks uses
// RDTSCP when it is advertised, under lock contention. Masking a feature
// the host lacks changes nothing a native run could do.
func (c *CPU) Masks() []string {
	var out []string
	for f, on := range c.Native {
		if !on {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// Check says why a cell cannot be counted on this virtual CPU, or "" when it
// can. masked are the features its GODEBUG turns off (cpu.X=off), required
// the features its workload or op requires, both by GODEBUG names.
func (c *CPU) Check(masked, required []string) string {
	if c.Virtual == nil {
		return fmt.Sprintf("valgrind's virtual CPU does not run %s code (%s), so the instructions tier cannot count it", orDefault(c.Level), c.LevelError)
	}
	for _, f := range masked {
		native, known := c.Native[f]
		switch {
		case !known:
			return fmt.Sprintf("the instructions tier cannot tell whether valgrind's virtual CPU has %s: %s's runtime does not detect it", strings.ToUpper(f), c.Go)
		case !c.Virtual[f] && native:
			return fmt.Sprintf("valgrind's virtual CPU already hides %s from Go (valgrind %s): GODEBUG cpu.%s=off would count the same code as the cell without it", strings.ToUpper(f), c.Valgrind, f)
		case !c.Virtual[f]:
			return fmt.Sprintf("valgrind's virtual CPU lacks %s, as the host does: GODEBUG cpu.%s=off measures nothing", strings.ToUpper(f), f)
		}
	}
	for _, f := range required {
		if _, known := c.Native[f]; !known {
			return fmt.Sprintf("the instructions tier cannot tell whether valgrind's virtual CPU has %s, which the cell requires: %s's runtime does not detect it", strings.ToUpper(f), c.Go)
		}
		if !c.Virtual[f] {
			return fmt.Sprintf("valgrind's virtual CPU lacks %s (valgrind %s), which the cell requires", strings.ToUpper(f), c.Valgrind)
		}
	}
	return ""
}

func orDefault(level string) string {
	if level == "" {
		return "the default level's"
	}
	return level
}

// A Prober builds and runs the CPU probe, once per toolchain and level. The
// binaries are cached under CacheDir (keyed by the toolchain's identity, the
// level and the probe's source); the answers for the life of the Prober.
type Prober struct {
	Valgrind *Valgrind
	CacheDir string   // probes live in CacheDir/cpuprobe; the user cache folder's perfharness when empty
	Env      []string // the environment builds start from (PATH, HOME, caches); os.Environ() when nil

	mu   sync.Mutex
	done map[string]*probeCall
}

type probeCall struct {
	once sync.Once
	cpu  *CPU
	err  error
}

// probeTimeout bounds one build or run of the probe.
const probeTimeout = 5 * time.Minute

// Probe returns the CPU as tc's runtime sees it natively and under valgrind,
// for code built with level ("GOAMD64=v3", or "" for the toolchain's
// default).
func (p *Prober) Probe(ctx context.Context, tc *toolchain.Toolchain, level string) (*CPU, error) {
	id, err := tc.Identity()
	if err != nil {
		return nil, err
	}
	key := id + "\x00" + tc.GOOS + "/" + tc.GOARCH + "\x00" + level
	p.mu.Lock()
	if p.done == nil {
		p.done = map[string]*probeCall{}
	}
	call, ok := p.done[key]
	if !ok {
		call = &probeCall{}
		p.done[key] = call
	}
	p.mu.Unlock()
	call.once.Do(func() { call.cpu, call.err = p.probe(ctx, tc, key, level) })
	return call.cpu, call.err
}

func (p *Prober) probe(ctx context.Context, tc *toolchain.Toolchain, key, level string) (*CPU, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	bin, err := p.build(ctx, tc, key, level)
	if err != nil {
		return nil, fmt.Errorf("building the CPU probe with %s: %w", tc.Name, err)
	}
	native, err := runProbe(ctx, bin, nil, "")
	if err != nil {
		return nil, fmt.Errorf("CPU probe (%s, native): %w", tc.Name, err)
	}
	c := &CPU{Go: tc.Version, Level: level, Valgrind: p.Valgrind.Version, Native: native.Features}
	var masks []string
	for _, f := range c.Masks() {
		masks = append(masks, "cpu."+f+"=off")
	}
	virtual, err := runProbe(ctx, p.Valgrind.Path, []string{"--tool=none", "-q", bin}, strings.Join(masks, ","))
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && level != "":
		// The runtime refuses to start on a CPU below the binary's level.
		c.LevelError = err.Error()
	case err != nil:
		return nil, fmt.Errorf("CPU probe (%s, under valgrind): %w", tc.Name, err)
	default:
		c.Virtual = virtual.Features
	}
	return c, nil
}

type probeOutput struct {
	Go       string          `json:"go"`
	GOARCH   string          `json:"goarch"`
	Features map[string]bool `json:"features"`
}

// runProbe runs prog with args and an environment whose GODEBUG is only
// godebug (natively none: the probe must see what the runtime detects,
// unmasked; under valgrind the masks of features the host lacks), and
// decodes its output.
func runProbe(ctx context.Context, prog string, args []string, godebug string) (*probeOutput, error) {
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	if godebug != "" {
		cmd.Env = append(cmd.Env, "GODEBUG="+godebug)
	}
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		if msg == "" {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %s", err, msg)
	}
	var po probeOutput
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&po); err != nil || len(po.Features) == 0 {
		return nil, fmt.Errorf("unexpected output %q", clip(out.String()))
	}
	return &po, nil
}

// build returns the probe binary for tc and level, building it into the
// cache the first time.
func (p *Prober) build(ctx context.Context, tc *toolchain.Toolchain, key, level string) (string, error) {
	root := p.CacheDir
	if root == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no cache folder for the probe: %w", err)
		}
		root = filepath.Join(base, "perfharness")
	}
	h := sha256.New()
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write(probeSource)
	dir := filepath.Join(root, "cpuprobe", hex.EncodeToString(h.Sum(nil))[:24])
	bin := filepath.Join(dir, "cpuprobe")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	src, err := os.MkdirTemp(filepath.Dir(dir), "src-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(src)
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module cpuprobe\n\ngo 1.21\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), probeSource, 0o644); err != nil {
		return "", err
	}
	var set []string
	if level != "" {
		set = append(set, level)
	}
	cmd := exec.CommandContext(ctx, tc.Go, "build", "-ldflags=-checklinkname=0", "-o", filepath.Join(src, "cpuprobe"), ".")
	cmd.Env = tc.BuildEnv(p.Env, set...)
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
	}
	// Move the binary into place atomically: another harness may be
	// building the same probe.
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "bin-")
	if err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(src, "cpuprobe"), filepath.Join(tmp, "cpuprobe")); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		if _, serr := os.Stat(bin); serr == nil {
			return bin, nil // the other one won
		}
		return "", err
	}
	return bin, nil
}

// LevelSetting is the environment setting a probe for goarch and level is
// built with: "GOAMD64=v3", or "" for the toolchain's default.
func LevelSetting(goarch, goamd64, goarm64 string) string {
	switch {
	case goarch == "amd64" && goamd64 != "":
		return "GOAMD64=" + goamd64
	case goarch == "arm64" && goarm64 != "":
		return "GOARM64=" + goarm64
	}
	return ""
}

// virtualCPUPhrase is in every reason Check gives.
const virtualCPUPhrase = "valgrind's virtual CPU"

// IsVirtualCPUReason reports whether a skip reason is Check's: the cell
// cannot be represented on valgrind's virtual CPU.
func IsVirtualCPUReason(reason string) bool {
	return strings.Contains(reason, virtualCPUPhrase)
}
