package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTree runs the checks on the repository: the command line is a
// shell, each rule lives once, the import graph points down, package docs
// match their imports.
func TestTree(t *testing.T) {
	r, err := check(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems {
		t.Error(p)
	}
	if r.CLILines == 0 || r.LongestLines == 0 || len(r.Imports["cli"]) == 0 {
		t.Errorf("nothing measured: %+v", r)
	}
}

// TestCatchesCopies checks the checks on a small tree holding one of each
// thing they must catch.
func TestCatchesCopies(t *testing.T) {
	root := t.TempDir()
	write := func(path, src string) {
		t.Helper()
		p := filepath.Join(root, "harness", path)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("results/results.go", `// Package results is above host.
package results

import "github.com/perfharness/harness/harness/host"

var _ = host.X

type Status string

func Median(s []float64) float64 { return (s[0] + s[1]) / 2 }

func ParseShard(s string) (int, int, error) { return 0, 0, nil }

func InShard(index, i, n int) bool { return index%n == i-1 }
`)
	write("host/host.go", "// Package host is below results and gate.\npackage host\n\nvar X int\n")
	write("report/report.go", `// Package report is above results and below gate.
package report

import (
	"path/filepath"
	"strings"

	"github.com/perfharness/harness/harness/gate"
	"github.com/perfharness/harness/harness/results"
)

var _ = gate.X
var _ = results.Median

type driverFile struct {
	Rate float64 `+"`json:\"achieved_rate\"`"+`
}

func median(xs []float64) float64 { return (xs[1] + xs[2]) / 2 }

func read(dir, line string) bool {
	_ = filepath.Join(dir, "result.json")
	return strings.HasPrefix(line, "Benchmark") && len(line)%3 == 2-1
}
`)
	write("gate/gate.go", "// Package gate is below report.\npackage gate\n\nvar X int\n")
	write("cli/cli.go", "// Package cli wires.\npackage cli\n\nfunc long() {\n"+strings.Repeat("\tprintln()\n", 70)+"}\n")
	r, err := check(root)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(r.Problems, "\n")
	for _, want := range []string{
		"median function defined 2 times",
		"median of the middle two values, (s[a] + s[b]) / 2 at harness/report/report.go",
		"result.json or server.json file name at harness/report/report.go",
		"driver result decoder (a struct with json tag achieved_rate or gc_pause_p99_ns) at harness/report/report.go",
		`bench-line parser (a "Benchmark" or "Unit " prefix test) at harness/report/report.go`,
		"shard predicate (index % n compared with i-1) at harness/report/report.go",
		"report imports gate: an arrow back up (or across) the pipeline",
		"package report's doc puts it below gate, but gate does not import it",
		"package host's doc puts it below gate, but gate does not import it",
		"harness/cli: long is 72 lines",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no problem %q among:\n%s", want, all)
		}
	}
	if strings.Contains(all, "at harness/results/") || strings.Contains(all, "below results") {
		t.Errorf("the owner's own definitions were flagged:\n%s", all)
	}
}
