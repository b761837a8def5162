package run

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/perfharness/harness/harness/results"
)

// TestKeepAttempt checks that a retried run's folder is moved aside and
// recorded, and that a harness killed between the move and the manifest
// write is finished on resume instead of failing or losing the attempt.
func TestKeepAttempt(t *testing.T) {
	d, err := results.Create(t.TempDir(), "r")
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{dir: d}
	run := &results.Run{Index: 1, Dir: "cells/x/run-1", Status: results.StatusRateNotAchieved, Reason: "backlog reached", Order: 3}
	dir, err := d.MkdirAll(run.Dir)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "result.json"), []byte("first"), 0o644)

	if err := r.keepAttempt(run); err != nil {
		t.Fatal(err)
	}
	if len(run.Attempts) != 1 || run.Attempts[0].Dir != "cells/x/run-1.attempt-1" || run.Attempts[0].Status != results.StatusRateNotAchieved ||
		run.Attempts[0].Reason != "backlog reached" || run.Attempts[0].Order != 3 || run.Status != results.StatusPlanned {
		t.Fatalf("after keepAttempt: %+v", run)
	}
	if data, _ := os.ReadFile(filepath.Join(d.Path, "cells/x/run-1.attempt-1/result.json")); string(data) != "first" {
		t.Errorf("the attempt's folder holds %q", data)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the run folder is still there: %v", err)
	}

	// Killed after the move, before the manifest recorded it: the manifest
	// still says rate-not-achieved with no attempts, the folder is gone.
	run.Attempts, run.Status = nil, results.StatusRateNotAchieved
	if err := r.keepAttempt(run); err != nil {
		t.Fatal(err)
	}
	if len(run.Attempts) != 1 || run.Attempts[0].Dir != "cells/x/run-1.attempt-1" {
		t.Fatalf("resumed keepAttempt: %+v", run.Attempts)
	}
	if data, _ := os.ReadFile(filepath.Join(d.Path, "cells/x/run-1.attempt-1/result.json")); string(data) != "first" {
		t.Errorf("the attempt's folder was lost: %q", data)
	}
}
