package run

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sh runs a small POSIX shell script as a child: the tests need processes
// that ignore signals, fork and hang, which is what they model in workloads.
func sh(t *testing.T, script string, timeout time.Duration) (Exit, Proc) {
	t.Helper()
	dir := t.TempDir()
	p := Proc{Path: "/bin/sh", Args: []string{"-c", script}, Env: []string{"PATH=/usr/bin:/bin"},
		Dir: dir, Stdout: filepath.Join(dir, "out"), Stderr: filepath.Join(dir, "err"),
		Timeout: timeout, Grace: 300 * time.Millisecond}
	return Run(context.Background(), p), p
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func TestProcExit(t *testing.T) {
	exit, _ := sh(t, "echo hello; echo oops >&2; exit 7", time.Minute)
	if exit.Code != 7 || exit.Signal != "" || exit.TimedOut || exit.Err != nil {
		t.Errorf("exit = %+v, want code 7", exit)
	}
	if got := exit.Stderr.Tail(5); got != "oops" {
		t.Errorf("stderr tail = %q", got)
	}
	exit, _ = sh(t, "kill -SEGV $$", time.Minute)
	if exit.Signal != "SIGSEGV" || exit.Code != -1 {
		t.Errorf("exit = %+v, want SIGSEGV", exit)
	}
}

func TestProcTimeoutIgnoringSIGTERM(t *testing.T) {
	start := time.Now()
	exit, _ := sh(t, "trap '' TERM; while :; do sleep 0.05; done", 200*time.Millisecond)
	if !exit.TimedOut || exit.Signal != "SIGKILL" {
		t.Errorf("exit = %+v, want a timeout ending in SIGKILL", exit)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s to kill a process ignoring SIGTERM", d)
	}
}

// A grandchild that keeps stdout open and outlives its parent must neither
// hang the harness nor survive it.
func TestProcGrandchildHoldingStdout(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	start := time.Now()
	exit, _ := sh(t, "sleep 30 & echo $! > "+pidFile+"; exit 0", time.Minute)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("waited %s for a grandchild holding stdout", d)
	}
	if exit.Code != 0 {
		t.Errorf("exit = %+v", exit)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	deadline := time.Now().Add(2 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("grandchild %d outlived its process group", pid)
	}
}

func TestProcHardStop(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	exit := Run(ctx, Proc{Path: "/bin/sh", Args: []string{"-c", "trap '' TERM INT; sleep 30"}, Dir: dir, Timeout: time.Minute})
	if !exit.Stopped || exit.Signal != "SIGKILL" {
		t.Errorf("exit = %+v, want stopped by SIGKILL", exit)
	}
}

func TestProcStartError(t *testing.T) {
	exit := Run(context.Background(), Proc{Path: "/nonexistent/binary", Dir: t.TempDir()})
	if exit.Err == nil || !strings.Contains(exit.Err.Error(), "/nonexistent/binary") {
		t.Errorf("exit = %+v, want a start error naming the binary", exit)
	}
}
