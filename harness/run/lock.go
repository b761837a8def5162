package run

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// A Lock is the host-wide lock that keeps two harness runs on one machine
// from overlapping (they would measure each other). It is an flock(2) on a
// file in the temporary folder: the kernel releases it when the holder dies,
// however it dies, so it can never go stale. The file names the holder.
type Lock struct {
	f *os.File
}

// DefaultLockPath is the lock every harness on this host shares: a fixed
// path, not $TMPDIR, so that runs with different environments still see
// each other.
func DefaultLockPath() string {
	return "/tmp/perfharness.lock"
}

// ErrLocked says another run holds the lock; its message names the holder.
var ErrLocked = errors.New("another harness run holds the host lock")

// AcquireLock takes the lock at path. If another run holds it, wait says
// whether to wait for it (calling waiting once with the holder's
// description) or to fail at once with ErrLocked.
func AcquireLock(ctx context.Context, path string, wait bool, waiting func(holder string), holder string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o666)
	if err != nil {
		return nil, fmt.Errorf("opening host lock %s: %w", path, err)
	}
	// Let other users' runs take the lock too: it is host-wide.
	f.Chmod(0o666)
	announced := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		who := readHolder(path)
		if !wait {
			f.Close()
			return nil, fmt.Errorf("%w (%s); wait for it to finish, or run without --no-wait to queue behind it", ErrLocked, who)
		}
		if !announced && waiting != nil {
			waiting(who)
			announced = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	f.Truncate(0)
	f.WriteAt([]byte(holder+"\n"), 0)
	f.Sync()
	return &Lock{f: f}, nil
}

func readHolder(path string) string {
	data, err := os.ReadFile(path)
	if err != nil || len(strings.TrimSpace(string(data))) == 0 {
		return "holder unknown"
	}
	return strings.TrimSpace(string(data))
}

// Release releases the lock.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	l.f.Truncate(0)
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
}
