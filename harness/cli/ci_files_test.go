package cli

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func repoFile(t *testing.T, rel string) []byte {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestCIFiles checks the shipped CI definitions parse and fit together:
// the workflow's shard matrix, merge and gate jobs, and the Kubernetes
// Indexed Job's completions, all calling scripts/ci/nightly steps that
// exist.
func TestCIFiles(t *testing.T) {
	var wf struct {
		On   map[string]any `yaml:"on"`
		Env  map[string]string
		Jobs map[string]struct {
			Needs    any
			Strategy struct {
				Matrix struct{ Shard []int }
			}
			Steps []struct {
				Uses string
				Run  string
				With map[string]any
			}
		}
	}
	if err := yaml.Unmarshal(repoFile(t, ".github/workflows/nightly.yml"), &wf); err != nil {
		t.Fatalf("nightly.yml: %v", err)
	}
	if _, ok := wf.On["schedule"]; !ok {
		t.Errorf("nightly.yml has no schedule")
	}
	shard := wf.Jobs["shard"]
	if len(shard.Strategy.Matrix.Shard) != 3 || wf.Env["SHARDS"] != "3" {
		t.Errorf("the shard matrix %v should match SHARDS=%s", shard.Strategy.Matrix.Shard, wf.Env["SHARDS"])
	}
	if wf.Jobs["merge"].Needs != "shard" || wf.Jobs["gate"].Needs != "merge" {
		t.Errorf("want shard → merge → gate")
	}
	steps := map[string]bool{}
	uploads := 0
	for _, j := range wf.Jobs {
		for _, s := range j.Steps {
			if rest, ok := strings.CutPrefix(s.Run, "scripts/ci/nightly "); ok {
				steps[strings.Fields(rest)[0]] = true
			}
			if strings.HasPrefix(s.Uses, "actions/upload-artifact") {
				uploads++
			}
		}
	}
	for _, s := range []string{"shard", "merge", "gate"} {
		if !steps[s] {
			t.Errorf("the workflow never runs scripts/ci/nightly %s", s)
		}
	}
	if uploads < 3 {
		t.Errorf("%d artifact uploads; want shards, merged run and reports", uploads)
	}
	script := string(repoFile(t, "scripts/ci/nightly"))
	for s := range steps {
		if !strings.Contains(script, "\n  "+s+")") {
			t.Errorf("scripts/ci/nightly has no %s step", s)
		}
	}

	var job struct {
		Kind string
		Spec struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int
			Parallelism    int
			Template       struct {
				Spec struct {
					Containers []struct {
						Command []string
						Env     []struct{ Name, Value string }
					}
				}
			}
		}
	}
	if err := yaml.Unmarshal(repoFile(t, "scripts/ci/k8s/shards-job.yaml"), &job); err != nil {
		t.Fatalf("shards-job.yaml: %v", err)
	}
	c := job.Spec.Template.Spec.Containers
	if job.Kind != "Job" || job.Spec.CompletionMode != "Indexed" || job.Spec.Completions != 3 || job.Spec.Parallelism != 3 || len(c) != 1 {
		t.Fatalf("want an Indexed Job of 3 completions: %+v", job)
	}
	if strings.Join(c[0].Command, " ") != "scripts/ci/nightly shard" {
		t.Errorf("command %v", c[0].Command)
	}
	for _, e := range c[0].Env {
		if e.Name == "SHARDS" && e.Value != "3" {
			t.Errorf("SHARDS=%s, completions 3", e.Value)
		}
	}
	for _, f := range []string{"scripts/ci/k8s/merge-gate-job.yaml", "scripts/ci/k8s/results-pvc.yaml"} {
		var v map[string]any
		if err := yaml.Unmarshal(repoFile(t, f), &v); err != nil || v["kind"] == nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
