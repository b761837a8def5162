package run

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A --lock path that names a file which is not a lock file (a slip like
// --lock bench.yaml) must be refused with what it is, and left exactly as
// it was: content, size and mode.
func TestLockRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "bench.yaml")
	specData := "name: allocators\ntoolchains: [local]\n"
	binary := filepath.Join(dir, "binary")
	big := filepath.Join(dir, "big")
	two := filepath.Join(dir, "two-lines")
	for _, f := range []struct {
		path string
		data string
	}{
		{spec, specData},
		{binary, "\x7fELF\x02\x01\x01\x00\x00"},
		{big, "pid 1, spec x\n" + strings.Repeat("x", 8<<10)},
		{two, "pid 12, spec a.yaml, started now\nsomething else\n"},
	} {
		if err := os.WriteFile(f.path, []byte(f.data), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		why, path, want string
	}{
		{"a spec", spec, `a file of 37 B starting "name: allocators"`},
		{"a binary", binary, "a binary file of 9 B"},
		{"too big for a lock file", big, "a file of 8.0 KiB"},
		{"an older holder line followed by more", two, "starting \"pid 12"},
		{"a dangling symlink (never created through)", link, "symbolic link"},
		{"a folder", dir, "a folder"},
		{"a named pipe (must not hang)", fifo, "a named pipe"},
	} {
		var before os.FileInfo
		before, _ = os.Lstat(tt.path)
		var beforeData []byte
		if before.Mode().IsRegular() {
			beforeData, _ = os.ReadFile(tt.path)
		}
		_, err := AcquireLock(context.Background(), tt.path, false, nil, "pid 1, test")
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "--lock") {
			t.Errorf("%s: err = %v, want one saying %q", tt.why, err, tt.want)
		}
		after, _ := os.Lstat(tt.path)
		if before.Mode() != after.Mode() || before.Size() != after.Size() {
			t.Errorf("%s: %s changed: mode %v -> %v, size %d -> %d", tt.why, tt.path, before.Mode(), after.Mode(), before.Size(), after.Size())
		}
		if before.Mode().IsRegular() {
			if afterData, _ := os.ReadFile(tt.path); string(afterData) != string(beforeData) {
				t.Errorf("%s: content changed to %q", tt.why, afterData)
			}
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "elsewhere")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the symlink's target was created: %v", err)
	}
}

// A lock file: created readable by every user, naming its holder while
// held, reused by the next run (also one an older harness left), never
// losing its mode.
func TestLockFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lock")
	l, err := AcquireLock(context.Background(), path, false, nil, "pid 1, spec a.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o666 {
		t.Errorf("new lock file mode %v, want 0666 (the lock is host-wide)", fi.Mode())
	}
	_, err = AcquireLock(context.Background(), path, false, nil, "pid 2")
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pid 1, spec a.yaml") {
		t.Errorf("second acquire: %v, want ErrLocked naming the holder", err)
	}
	l.Release()
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err = AcquireLock(context.Background(), path, false, nil, "pid 3")
	if err != nil {
		t.Fatalf("reacquiring a released lock: %v", err)
	}
	l.Release()
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("an existing lock file's mode changed to %v", fi.Mode())
	}
	for _, old := range []string{"", "pid 4242, spec bench.yaml, started 2025-01-02T03:04:05Z\n"} {
		if err := os.WriteFile(path, []byte(old), 0o666); err != nil {
			t.Fatal(err)
		}
		l, err := AcquireLock(context.Background(), path, false, nil, "pid 5")
		if err != nil {
			t.Errorf("lock file %q from an older harness refused: %v", old, err)
			continue
		}
		l.Release()
	}
}
