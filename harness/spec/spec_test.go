package spec

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// TestBadSpecs loads every spec under testdata/bad and compares the errors
// with the .golden file beside it: every error positioned, all reported at
// once, sorted by position.
func TestBadSpecs(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 40 {
		t.Fatalf("bad-spec corpus has %d cases, want at least 40", len(files))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			_, err := Load(file)
			if err == nil {
				t.Fatalf("Load(%s) succeeded, want errors", file)
			}
			list, ok := err.(ErrorList)
			if !ok {
				t.Fatalf("Load(%s) error is %T, want ErrorList: %v", file, err, err)
			}
			for _, e := range list {
				if e.Line == 0 {
					t.Errorf("error without a line: %v", e)
				}
				if e.Col == 0 && !strings.HasPrefix(e.Msg, "invalid YAML") && name != "empty-file" && name != "comment-only" {
					t.Errorf("error without a column: %v", e)
				}
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("errors differ from %s (go test -update rewrites it):\n%s", golden, lineDiff(string(want), got))
			}
		})
	}
}

// lineDiff shows which lines only the golden file (-) or only the output (+)
// has, in order: enough to read a mismatch without a diff tool.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b bytes.Buffer
	i, j := 0, 0
	for i < len(w) || j < len(g) {
		switch {
		case i < len(w) && j < len(g) && w[i] == g[j]:
			i++
			j++
		case j < len(g) && !containsFrom(w, i, g[j]):
			b.WriteString("+ " + g[j] + "\n")
			j++
		default:
			b.WriteString("- " + w[i] + "\n")
			i++
		}
	}
	return b.String()
}

func containsFrom(lines []string, from int, s string) bool {
	for _, l := range lines[from:] {
		if l == s {
			return true
		}
	}
	return false
}

// The client is a mapping or the library alone; generators default to 1.
func TestHTTPClientForms(t *testing.T) {
	for _, tt := range []struct {
		client, generators string
		want               HTTPClient
		wantGenerators     int
	}{
		{"client: net/http", "", HTTPClient{Library: ClientNetHTTP}, 1},
		{"client: {library: h1, cpus: \"1\", timeout: 2s}", "generators: 2", HTTPClient{Library: ClientH1, CPUs: "1", Timeout: Duration(2 * time.Second)}, 2},
	} {
		s, err := Parse("bench.yaml", []byte(`workloads:
  - name: api
    kind: http
    package: ./server
    requests: {get: {path: /}}
    rate: 1000/s
    `+tt.client+`
    `+tt.generators+`
`))
		if err != nil {
			t.Fatalf("%s: %v", tt.client, err)
		}
		w := s.Workloads[0]
		if *w.Client != tt.want || w.Generators != tt.wantGenerators {
			t.Errorf("%s %s: client %+v, generators %d; want %+v, %d", tt.client, tt.generators, *w.Client, w.Generators, tt.want, tt.wantGenerators)
		}
	}
}
