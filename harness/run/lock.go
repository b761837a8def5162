package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
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

// lockMagic opens every lock file the harness writes: a file that does not
// start with it (or is not empty, or from an older harness) is someone
// else's file, and --lock must never write into it.
const lockMagic = "perfharness host lock\n"

// maxLockFile bounds what is read of a lock file: a lock file holds one line.
const maxLockFile = 4 << 10

// AcquireLock takes the lock at path. If another run holds it, wait says
// whether to wait for it (calling waiting once with the holder's
// description) or to fail at once with ErrLocked.
//
// The file is never truncated, rewritten or re-moded unless it is a lock
// file: an existing file that is not one (a slip like --lock bench.yaml) is
// refused with a description of what it is, and left as it was.
func AcquireLock(ctx context.Context, path string, wait bool, waiting func(holder string), holder string) (*Lock, error) {
	f, err := openLockFile(path)
	if err != nil {
		return nil, err
	}
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
		who := readHolder(f)
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
	// Holding the lock, the file is ours to rewrite; check it again in case
	// it was replaced by something else while we waited.
	if err := checkLockFile(path, f); err != nil {
		f.Close()
		return nil, err
	}
	writeLockFile(f, holder)
	return &Lock{f: f}, nil
}

// openLockFile opens the lock file, creating it (readable and writable by
// every user: the lock is host-wide) when it does not exist. An existing
// file is opened as it is — no truncation, no mode change, no symlink
// followed — and refused unless it is a lock file.
func openLockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o666)
	if err == nil {
		// Ours: let other users' runs take the lock too.
		f.Chmod(0o666)
		return f, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("opening host lock %s: %w", path, err)
	}
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("host lock %s: %s, not a harness lock file; pass another --lock path", path, describeMode(fi.Mode()))
	}
	// O_NONBLOCK: a FIFO swapped in after the check must not hang the open.
	f, err = os.OpenFile(path, os.O_RDWR|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("host lock %s: a symbolic link, not a harness lock file; pass another --lock path", path)
		}
		return nil, fmt.Errorf("opening host lock %s: %w", path, err)
	}
	if err := checkLockFile(path, f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// checkLockFile refuses an open file that is not a harness lock file,
// saying what it is.
func checkLockFile(path string, f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("host lock %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("host lock %s: %s, not a harness lock file; pass another --lock path", path, describeMode(fi.Mode()))
	}
	head := make([]byte, maxLockFile)
	n, err := f.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return fmt.Errorf("host lock %s: %w", path, err)
	}
	if isLockContent(head[:n], fi.Size()) {
		return nil
	}
	return fmt.Errorf("host lock %s: not a harness lock file (%s); refusing to write into it — pass another --lock path", path, describeContent(head[:n], fi.Size()))
}

// isLockContent reports whether a file's first bytes (of size in all) are a
// lock file's: empty (released by an older harness, or just created), this
// harness's header, or an older harness's single holder line.
func isLockContent(head []byte, size int64) bool {
	if size == 0 {
		return true
	}
	if size > maxLockFile {
		return false
	}
	if bytes.HasPrefix(head, []byte(lockMagic)) {
		return bytes.Count(head, []byte("\n")) <= 2
	}
	line, rest, _ := bytes.Cut(head, []byte("\n"))
	if len(bytes.TrimSpace(rest)) > 0 {
		return false
	}
	// "pid 123, spec bench.yaml, started 2025-..." from an older harness.
	f := strings.Fields(string(line))
	if len(f) < 2 || f[0] != "pid" {
		return false
	}
	_, err := strconv.Atoi(strings.TrimSuffix(f[1], ","))
	return err == nil
}

// describeContent says what a file that is not a lock file holds.
func describeContent(head []byte, size int64) string {
	first, _, _ := bytes.Cut(head, []byte("\n"))
	if len(first) > 60 {
		first = first[:60]
	}
	if !isText(head) {
		return fmt.Sprintf("a binary file of %s", sizeString(size))
	}
	return fmt.Sprintf("a file of %s starting %q", sizeString(size), sanitize(string(first)))
}

func isText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}

func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// writeLockFile records the holder; only ever called on a lock file.
func writeLockFile(f *os.File, holder string) {
	f.Truncate(0)
	f.WriteAt([]byte(lockMagic+sanitize(holder)+"\n"), 0)
	f.Sync()
}

// readHolder returns the holder line of an open lock file.
func readHolder(f *os.File) string {
	head := make([]byte, maxLockFile)
	n, _ := f.ReadAt(head, 0)
	s := strings.TrimPrefix(string(head[:n]), lockMagic)
	s = strings.TrimSpace(s)
	if s == "" {
		return "holder unknown"
	}
	return sanitize(s)
}

// Release releases the lock, leaving the file a lock file with no holder.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	l.f.Truncate(0)
	l.f.WriteAt([]byte(lockMagic), 0)
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
}
