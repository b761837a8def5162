//go:build linux

package run

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Every descendant of a run's process ends with it — one that left the
// process group (setsid, setpgid), one whose parent was killed first — and
// the exit names them.
func TestOrphansKilled(t *testing.T) {
	for _, tt := range []struct {
		mode  string
		comms []string
	}{
		{"setsid", []string{"sleep"}},
		{"setpgid", []string{"sleep"}},
		{"chain", []string{"run.test", "sleep"}},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			exit, pids := runHelper(t, tt.mode)
			if exit.Code != 0 || exit.Err != nil {
				t.Fatalf("helper: %+v\n%s", exit, exit.Stderr.Tail(10))
			}
			if len(pids) == 0 {
				t.Fatal("the helper started nothing")
			}
			for _, pid := range pids {
				if !gone(pid) {
					syscall.Kill(pid, syscall.SIGKILL)
					t.Errorf("%s: process %d outlived the run", tt.mode, pid)
				}
			}
			// The chain's grandchild is not in the pid file; every orphan
			// must be named with its command.
			var got []string
			for _, o := range exit.Orphans {
				got = append(got, o.Comm)
			}
			for _, c := range tt.comms {
				if !strings.Contains(strings.Join(got, " "), c) {
					t.Errorf("%s: orphans %+v do not name %q", tt.mode, exit.Orphans, c)
				}
			}
			for _, pid := range pids {
				found := false
				for _, o := range exit.Orphans {
					found = found || o.PID == pid
				}
				if !found {
					t.Errorf("%s: orphan %d not named in %+v", tt.mode, pid, exit.Orphans)
				}
			}
			notes := strings.Join(exit.notes(""), "\n")
			if !strings.Contains(notes, "running after it ended, killed by the harness") || !strings.Contains(notes, fmt.Sprintf("%d (sleep)", pids[len(pids)-1])) && tt.mode != "chain" {
				t.Errorf("%s: warning %q", tt.mode, notes)
			}
		})
	}
}

// The sweep touches nothing the run did not start: a process the harness
// started on its own while the run went on, or one started before it.
func TestOrphanSweepSparesOthers(t *testing.T) {
	before := exec.Command("sleep", "30")
	if err := before.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { before.Process.Kill(); before.Wait() }()
	dir := t.TempDir()
	r, err := start(Proc{Path: "/bin/sh", Args: []string{"-c", "sleep 1"}, Dir: dir, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	during := exec.Command("sleep", "30")
	if err := during.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { during.Process.Kill(); during.Wait() }()
	exit := r.await(context.Background(), time.Minute, time.Second)
	if len(exit.Orphans) != 0 {
		t.Errorf("orphans %+v, want none", exit.Orphans)
	}
	for _, c := range []*exec.Cmd{before, during} {
		if err := c.Process.Signal(syscall.Signal(0)); err != nil {
			t.Errorf("process %d, not the run's, was killed: %v", c.Process.Pid, err)
		}
	}
}

// A grandchild that stayed in the group and one it started are named too
// (the group kill alone would leave them unnamed), and nothing is left.
func TestOrphansInGroupNamed(t *testing.T) {
	exit, _ := sh(t, "sleep 300 & (sleep 301 &) ; (sleep 302; true) & sleep 0.1; exit 0", time.Minute)
	var comms []string
	for _, o := range exit.Orphans {
		comms = append(comms, o.Comm)
		if !gone(o.PID) {
			t.Errorf("%d (%s) outlived the run", o.PID, o.Comm)
		}
	}
	if strings.Count(strings.Join(comms, " "), "sleep") != 3 {
		t.Errorf("orphans %+v, want the three sleeps (one a child of a subshell)", exit.Orphans)
	}
}
