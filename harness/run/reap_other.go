//go:build !linux

package run

import (
	"errors"
	"syscall"
)

// Elsewhere than Linux the harness cannot become a child subreaper: what
// leaves a run's process group outlives the run.

func becomeSubreaper() error { return errors.New("child subreaper: Linux only") }

func startTicks(pid int) uint64 { return 0 }

func reapOrphans(pgid int, start uint64) (killed, left []Orphan) {
	syscall.Kill(-pgid, syscall.SIGKILL)
	return nil, nil
}
