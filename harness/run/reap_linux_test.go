package run

import (
	"context"
	"os/exec"
	"sync"
	"syscall"
	"testing"
)

// TestReapSparesConcurrentChildren sweeps for orphans again and again while
// another goroutine starts and waits for short commands, as a build or a
// concurrent run does: none of those commands may be taken for an orphan
// and killed.
func TestReapSparesConcurrentChildren(t *testing.T) {
	if err := becomeSubreaper(); err != nil {
		t.Skipf("no child subreaper here: %v", err)
	}
	// A process group of its own to sweep after: a finished sleep.
	grp := exec.Command("sleep", "0")
	grp.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := grp.Run(); err != nil {
		t.Fatal(err)
	}
	pgid := grp.Process.Pid
	start := uint64(0) // every child counts as started after the "run"

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	started := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			if err := exec.Command("true").Run(); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			started++
		}
	}()
	for i := 0; i < 300; i++ {
		if killed, _ := reapOrphans(pgid, start); len(killed) > 0 {
			t.Errorf("sweep %d killed %v: children started with os/exec are not orphans", i, killed)
			break
		}
	}
	stop()
	wg.Wait()
	if len(errs) > 0 {
		t.Errorf("%d of %d concurrent commands failed, first: %v", len(errs), started, errs[0])
	}
	t.Logf("%d commands ran during 300 sweeps", started)
}
