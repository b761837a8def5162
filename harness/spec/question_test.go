package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQuestionsGolden loads each spec under testdata/questions and writes
// its questions (declared with defaults filled in, or derived) and their
// answers' groups: one per fixed combination, base first.
func TestQuestionsGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/questions/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no question specs: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			s, err := Parse(file, mustRead(t, file))
			if err != nil {
				t.Fatal(err)
			}
			points := s.Points()
			var b strings.Builder
			for _, q := range s.Questions() {
				fmt.Fprintf(&b, "%s: %q\n", q.Path, q.Title)
				fmt.Fprintf(&b, "  by %v, base %v, workloads %v, fixed %v, where %v, metrics %v, derived %v\n", []string(q.By), q.Base, []string(q.Workloads), []string(q.Fixed), q.Where, q.Metrics, q.Derived)
				for _, g := range q.Groups(points) {
					fmt.Fprintf(&b, "  answer for %s (has base: %v)\n", g.FixedLabel(), g.HasBase)
					for _, c := range g.Configs {
						var ids []string
						for _, k := range c.Points {
							ids = append(ids, points[k].ID)
						}
						fmt.Fprintf(&b, "    %-24s %s\n", c.Label(), strings.Join(ids, " "))
					}
				}
			}
			golden(t, strings.TrimSuffix(file, ".yaml")+".golden", b.String())
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("differs from %s (go test -update rewrites it):\n%s", path, lineDiff(string(want), got))
	}
}
