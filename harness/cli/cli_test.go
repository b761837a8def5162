package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// harness runs the command line in-process and returns its exit code and
// output streams.
func harness(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsage(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
		why    string
	}{
		{nil, ExitUsage, "", "Commands:", "no command is a usage error"},
		{[]string{"help"}, ExitOK, "Exit codes:", "", "help goes to stdout"},
		{[]string{"--help"}, ExitOK, "Commands:", "", "--help too"},
		{[]string{"pln"}, ExitUsage, "", `unknown command "pln" (did you mean "plan"?)`, "typo suggestion"},
		{[]string{"plan", "--help"}, ExitOK, "Usage: harness plan bench.yaml [flags]", "", "per-command help"},
		{[]string{"help", "cpu"}, ExitOK, "--json", "", "help <command>"},
		{[]string{"plan"}, ExitUsage, "", "harness: plan: want bench.yaml, got 0 argument(s)", "missing argument"},
		{[]string{"plan", "a.yaml", "b.yaml"}, ExitUsage, "", "got 2 argument(s)", "too many arguments"},
		{[]string{"cpu", "--jsn"}, ExitUsage, "", "flag provided but not defined: -jsn", "unknown flag"},
		{[]string{"plan", "does-not-exist.yaml"}, ExitUsage, "", "harness: open does-not-exist.yaml: no such file or directory", "missing file"},
		{[]string{"run", "x.yaml", "--shard", "5/3"}, ExitUsage, "", `harness: run: --shard: invalid shard "5/3": want I/N with 1 <= I <= N`, "bad shard"},
		{[]string{"compare", "a", "b", "--col", "toolchain"}, ExitUsage, "", "--col does not apply: the columns are the two runs", "compare columns are the sides"},
	} {
		code, stdout, stderr := harness(t, tt.args...)
		if code != tt.code || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("harness %q = %d\nstdout: %s\nstderr: %s\nwant %d, stdout containing %q, stderr containing %q (%s)",
				tt.args, code, stdout, stderr, tt.code, tt.stdout, tt.stderr, tt.why)
		}
	}
}

// Each command's help lists the exit codes it ends with: the gate all
// four, version none, the others no regression code. Flags are spelled as
// the README spells them, each default said once.
func TestHelpText(t *testing.T) {
	for _, c := range commands() {
		_, stdout, _ := harness(t, c.name, "--help")
		var want, not []string
		switch c.name {
		case "gate":
			want = []string{"0  no significant regression", "1  significant regression found", "2  usage", "3  comparison invalid"}
		case "version":
			not = []string{"Exit codes"}
		case "run", "calibrate":
			want, not = []string{"0  every cell ok", "2  usage", "3  run invalid"}, []string{"1  "}
		default:
			want, not = []string{"0  ok", "2  usage", "3  failed"}, []string{"1  ", "regression"}
		}
		for _, w := range want {
			if !strings.Contains(stdout, w) {
				t.Errorf("harness %s --help lacks %q", c.name, w)
			}
		}
		for _, n := range not {
			if strings.Contains(stdout, n) {
				t.Errorf("harness %s --help has %q:\n%s", c.name, n, stdout)
			}
		}
		for _, l := range strings.Split(stdout, "\n") {
			if strings.Count(l, "(default") > 1 {
				t.Errorf("harness %s --help: %s", c.name, l)
			}
			if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(f[0], "-") {
				name := strings.TrimLeft(f[0], "-")
				if dashes := len(f[0]) - len(name); (len(name) == 1) != (dashes == 1) {
					t.Errorf("harness %s --help spells %s (one dash for a letter, two for a word)", c.name, f[0])
				}
			}
		}
	}
	_, stdout, _ := harness(t, "plan", "--help")
	if !strings.Contains(stdout, "\n  -v\n") {
		t.Errorf("plan --help should list -v as the README spells it:\n%s", stdout)
	}
	_, stdout, _ = harness(t, "run", "--help")
	if !strings.Contains(stdout, "SIGKILL (default 5s)\n") {
		t.Errorf("run --help: --grace's default once:\n%s", stdout)
	}
}

func TestCPUJSON(t *testing.T) {
	code, stdout, stderr := harness(t, "cpu", "--json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"vendor", "brand", "arch", "logical_cores", "features", "warnings"} {
		if _, ok := m[k]; !ok {
			t.Errorf("cpu --json lacks key %q", k)
		}
	}
}

func TestPlanErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bench.yaml")
	os.WriteFile(file, []byte("workloads:\n  - name: a\n    kind: fixedrate\n    durtion: 1s\n"), 0o644)
	code, stdout, stderr := harness(t, "plan", file, "--json")
	if code != ExitUsage || stdout != "" {
		t.Fatalf("exit %d, stdout %q; want 2 and nothing on stdout", code, stdout)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	want := []string{
		"harness: " + file + ":2:5: workloads[0]: missing package (the Go package to build, e.g. ./workloads/alloc)",
		"harness: " + file + `:3:11: workloads[0].kind: unknown kind "fixedrate" (did you mean "fixed-rate"?) (want one of fixed-rate, http, gotest)`,
		"harness: " + file + `:4:5: workloads[0]: unknown field "durtion" (did you mean "duration"?)`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, strings.Join(want, "\n"))
	}
}

func TestPlanJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("resolves the local toolchain")
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "pkg"), 0o755)
	file := filepath.Join(dir, "bench.yaml")
	os.WriteFile(file, []byte(`
toolchains: [local]
matrix: {goexperiment: ["", arenas]}
workloads:
  - {name: a, kind: fixed-rate, package: ./pkg, ops: [x, {name: y, requires: [NOSUCHFEATUREATALL]}], rate: 10/s}
`), 0o644)
	code, _, stderr := harness(t, "plan", file, "--json")
	if code != ExitUsage || !strings.Contains(stderr, `unknown CPU feature "NOSUCHFEATUREATALL"`) {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	os.WriteFile(file, []byte(`
toolchains: [local]
matrix: {goexperiment: ["", arenas]}
workloads:
  - {name: a, kind: fixed-rate, package: ./pkg, ops: [x], rate: 10/s}
`), 0o644)
	code, stdout, stderr := harness(t, "plan", file, "--json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var p struct {
		Host  map[string]any   `json:"host"`
		Cells []map[string]any `json:"cells"`
	}
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Cells) != 2 || p.Host["arch"] == nil {
		t.Fatalf("plan: %d cells, host %v", len(p.Cells), p.Host)
	}
	for _, k := range []string{"id", "workload", "op", "kind", "toolchain", "go_version", "goexperiment", "gcflags", "goamd64", "godebug", "env", "build_env", "run_env", "status", "reason"} {
		if _, ok := p.Cells[0][k]; !ok && k != "reason" {
			t.Errorf("cell lacks key %q", k)
		}
	}
	if p.Cells[1]["id"] != "a/x/local/arenas" || p.Cells[1]["status"] != "planned" {
		t.Errorf("cell 1 = %v", p.Cells[1])
	}
}
