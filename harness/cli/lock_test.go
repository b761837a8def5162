package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// A slip like --lock bench.yaml must not wipe the spec: the run refuses
// the file, saying what it is, and leaves it as it was.
func TestRunLockOnSpecLeavesItIntact(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(file), "..", "..")
	tmp := t.TempDir()
	spec := filepath.Join(tmp, "bench.yaml")
	text := fmt.Sprintf(`name: lockslip
toolchains: [local]
workloads:
  - name: synthetic
    kind: fixed-rate
    package: %s
    ops: [spin]
    rate: 100/s
    duration: 100ms
`, filepath.Join(repo, "workloads", "synthetic"))
	if err := os.WriteFile(spec, []byte(text), 0o640); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := harness(t, "run", spec, "--lock", spec, "--results", filepath.Join(tmp, "results"),
		"--cache", filepath.Join(tmp, "cache"), "--no-report")
	if code == ExitOK || !strings.Contains(stderr, "not a harness lock file") || !strings.Contains(stderr, `starting "name: lockslip"`) {
		t.Errorf("harness run --lock bench.yaml: exit %d\nstdout: %s\nstderr: %s\nwant a refusal saying what the file is", code, stdout, stderr)
	}
	data, err := os.ReadFile(spec)
	if err != nil || string(data) != text {
		t.Errorf("the spec changed: %q (%v)", data, err)
	}
	if fi, _ := os.Stat(spec); fi.Mode().Perm() != 0o640 {
		t.Errorf("the spec's mode changed to %v", fi.Mode())
	}
}
