package instr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/perfharness/harness/harness/toolchain"
)

// InstallHint is how to install valgrind, named in the reason of every
// cell skipped for want of it.
const InstallHint = "scripts/install-deps installs it (apt-get install valgrind)"

// ErrNotInstalled is returned by Find when valgrind is not on PATH.
var ErrNotInstalled = errors.New("valgrind is not installed: " + InstallHint)

// A Valgrind is a valgrind installation found on this host.
type Valgrind struct {
	Path    string // absolute path of the valgrind command
	Version string // e.g. "3.19.0"
}

// Find looks valgrind up on the PATH of env (KEY=VALUE strings) and asks its
// version. It returns ErrNotInstalled when there is none.
func Find(ctx context.Context, env []string) (*Valgrind, error) {
	path, err := lookPath("valgrind", toolchain.Getenv(env, "PATH"))
	if err != nil {
		return nil, ErrNotInstalled
	}
	cmd := exec.CommandContext(ctx, path, "--version")
	cmd.Env = env
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s --version: %w: %s", path, err, strings.TrimSpace(stderr.String()))
	}
	v, err := ParseVersion(out.String())
	if err != nil {
		return nil, fmt.Errorf("%s --version: %w", path, err)
	}
	return &Valgrind{Path: path, Version: v}, nil
}

// lookPath is exec.LookPath over a given PATH value rather than the
// harness's own environment.
func lookPath(name, pathList string) (string, error) {
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue // a relative PATH entry would depend on the working folder
		}
		p := filepath.Join(dir, name)
		if _, err := exec.LookPath(p); err == nil {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

var versionRE = regexp.MustCompile(`^valgrind-([0-9]+\.[0-9]+(\.[0-9]+)?)(\S*)$`)

// ParseVersion reads the output of valgrind --version ("valgrind-3.19.0",
// or "valgrind-3.22.0.GIT" for a development build) and returns the
// version, "3.19.0".
func ParseVersion(out string) (string, error) {
	s := strings.TrimSpace(out)
	m := versionRE.FindStringSubmatch(s)
	if m == nil {
		return "", fmt.Errorf("unexpected version output %q (want valgrind-X.Y.Z)", s)
	}
	return m[1] + m[3], nil
}

// toolArgs are the valgrind tool a counted run uses, with its options: only
// instructions are counted (no cache or branch simulation, which would
// cost time and add figures of a simulated machine nobody runs on).
var toolArgs = []string{"--tool=cachegrind", "--cache-sim=no", "--branch-sim=no"}

// Command returns the argv of a counted run of prog with args: valgrind,
// its options, and the program. The instruction counts go to outFile,
// valgrind's own messages to logFile, so that the program's stdout and
// stderr are its own. Both paths must be absolute.
func (v *Valgrind) Command(outFile, logFile, prog string, args ...string) []string {
	argv := append([]string{v.Path}, toolArgs...)
	argv = append(argv, "--cachegrind-out-file="+outFile, "--log-file="+logFile, prog)
	return append(argv, args...)
}

// ToolDescription says how instructions are counted, for results and
// reports: "cachegrind (valgrind 3.19.0), --cache-sim=no --branch-sim=no".
func (v *Valgrind) ToolDescription() string {
	return fmt.Sprintf("cachegrind (valgrind %s), %s", v.Version, strings.Join(toolArgs[1:], " "))
}

// Settings are the GODEBUG settings every counted process gets, ahead of
// the cell's own (see the package note): preemption signals, the GC's
// concurrent mark and the heap scavenger's pacing follow the wall clock,
// which differs run to run.
var Settings = []string{"asyncpreemptoff=1", "gcstoptheworld=1", "madvdontneed=0"}

// Env returns the environment of a counted process: env with GOMAXPROCS=1
// and with GODEBUG led by Settings and by cpu.X=off for each feature in
// mask (see CPU.Masks), then the cell's own GODEBUG, whose later settings
// win where they overlap.
func Env(env []string, mask []string) []string {
	var debug []string
	debug = append(debug, Settings...)
	for _, f := range mask {
		debug = append(debug, "cpu."+f+"=off")
	}
	if own := toolchain.Getenv(env, "GODEBUG"); own != "" {
		debug = append(debug, own)
	}
	out := make([]string, 0, len(env)+2)
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if k != "GODEBUG" && k != "GOMAXPROCS" {
			out = append(out, kv)
		}
	}
	return append(out, "GOMAXPROCS=1", "GODEBUG="+strings.Join(debug, ","))
}
