package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
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

// The load generators' Indexed Job runs as many pods as -generators says,
// each its own index from one start instant, and the merge Job lists every
// generator's folder once.
func TestLoadGeneratorJobs(t *testing.T) {
	type container struct {
		Command []string
		Args    []string
		Env     []struct{ Name, Value string }
	}
	var gen, merge struct {
		Kind string
		Spec struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int
			Parallelism    int
			Template       struct {
				Spec struct{ Containers []container }
			}
		}
	}
	if err := yaml.Unmarshal(repoFile(t, "scripts/ci/k8s/load-generators-job.yaml"), &gen); err != nil {
		t.Fatalf("load-generators-job.yaml: %v", err)
	}
	if err := yaml.Unmarshal(repoFile(t, "scripts/ci/k8s/load-merge-job.yaml"), &merge); err != nil {
		t.Fatalf("load-merge-job.yaml: %v", err)
	}
	n := gen.Spec.Completions
	if gen.Kind != "Job" || gen.Spec.CompletionMode != "Indexed" || gen.Spec.Parallelism != n || n < 2 || len(gen.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("want an Indexed Job running all its completions at once: %+v", gen.Spec)
	}
	c := gen.Spec.Template.Spec.Containers[0]
	flags := map[string]string{}
	for i := 0; i+1 < len(c.Args); i++ {
		if strings.HasPrefix(c.Args[i], "-") && !strings.HasPrefix(c.Args[i+1], "-") {
			flags[c.Args[i]] = c.Args[i+1]
		}
	}
	env := map[string]bool{"JOB_COMPLETION_INDEX": true}
	for _, e := range c.Env {
		env[e.Name] = true
	}
	if flags["-generators"] != strconv.Itoa(n) || flags["-generator"] != "$(JOB_COMPLETION_INDEX)" || flags["-start-at"] == "" ||
		!slices.Contains(c.Args, "-allow-remote") || !strings.Contains(flags["-out"], "$(JOB_COMPLETION_INDEX)") {
		t.Errorf("generator args %q: want -generators %d, -generator $(JOB_COMPLETION_INDEX), -start-at, -allow-remote and an -out per index", c.Args, n)
	}
	for _, a := range c.Args {
		for _, m := range regexp.MustCompile(`\$\(([A-Z_]+)\)`).FindAllStringSubmatch(a, -1) {
			if !env[m[1]] {
				t.Errorf("args use $(%s), which the container's env does not set", m[1])
			}
		}
	}
	mc := merge.Spec.Template.Spec.Containers
	if len(mc) != 1 || len(mc[0].Command) < 4 || mc[0].Command[0] != "httpload" || mc[0].Command[1] != "merge" {
		t.Fatalf("merge command %v: want httpload merge -out DIR GEN_DIR...", mc)
	}
	dirs := mc[0].Command[4:]
	out := strings.Replace(flags["-out"], "$(JOB_COMPLETION_INDEX)", "%d", 1)
	for i := range n {
		if want := fmt.Sprintf(out, i); !slices.Contains(dirs, want) {
			t.Errorf("merge lists %q; want generator %d's folder %s", dirs, i, want)
		}
	}
	if len(dirs) != n {
		t.Errorf("merge lists %d folders for %d generators", len(dirs), n)
	}
}
