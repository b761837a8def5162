package run

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as a misbehaving child: with HARNESS_RUN_HELPER
// set, TestMain runs that behaviour instead of the tests.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && (os.Args[1] == "-name" || os.Args[1] == "-list-ops") {
		os.Exit(noopWorkload(os.Args[1:])) // the runner's tests' workload (run_test.go)
	}
	if mode := os.Getenv("HARNESS_RUN_HELPER"); mode != "" {
		helper(mode, os.Args[1:])
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helper misbehaves as mode says; pids of what it leaves behind go to the
// file named by its first argument, one a line.
func helper(mode string, args []string) {
	record := func(pid int) {
		f, err := os.OpenFile(args[0], os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
		if err == nil {
			fmt.Fprintln(f, pid)
			f.Close()
		}
	}
	spawn := func(attr *syscall.SysProcAttr, name string, argv ...string) {
		cmd := exec.Command(name, argv...)
		cmd.SysProcAttr = attr
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		record(cmd.Process.Pid)
	}
	switch mode {
	case "setsid":
		// A daemon: its own session, so the process group kill misses it.
		spawn(&syscall.SysProcAttr{Setsid: true}, "sleep", "300")
	case "setpgid":
		// Its own group in the same session.
		spawn(&syscall.SysProcAttr{Setpgid: true}, "sleep", "300")
	case "chain":
		// A setsid'd child that starts a setsid'd grandchild of its own and
		// waits: the grandchild is orphaned only when the child is killed.
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "HARNESS_RUN_HELPER=chain-middle")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			os.Exit(3)
		}
		record(cmd.Process.Pid)
		// Let it start its own child before this one exits.
		time.Sleep(300 * time.Millisecond)
	case "chain-middle":
		spawn(&syscall.SysProcAttr{Setsid: true}, "sleep", "300")
		time.Sleep(300 * time.Second)
	case "spew":
		// Gigabytes of junk on stderr, then a panic.
		n, _ := strconv.ParseInt(args[1], 10, 64)
		line := []byte(strings.Repeat("X", 1023) + "\n")
		buf := make([]byte, 0, 1<<20)
		for len(buf)+len(line) <= cap(buf) {
			buf = append(buf, line...)
		}
		for written := int64(0); written < n; written += int64(len(buf)) {
			os.Stderr.Write(buf)
		}
		panic("helper: deliberate panic after the junk")
	}
}

func runHelper(t *testing.T, mode string, extra ...string) (Exit, []int) {
	t.Helper()
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	p := Proc{Path: os.Args[0], Args: append([]string{pids}, extra...), Env: []string{"HARNESS_RUN_HELPER=" + mode, "PATH=/usr/bin:/bin"},
		Dir: dir, Stdout: filepath.Join(dir, "stdout.log"), Stderr: filepath.Join(dir, "stderr.log"),
		Timeout: 5 * time.Minute, Grace: 300 * time.Millisecond}
	exit := Run(context.Background(), p)
	data, _ := os.ReadFile(pids)
	var out []int
	for _, f := range strings.Fields(string(data)) {
		pid, _ := strconv.Atoi(f)
		out = append(out, pid)
	}
	return exit, out
}

// gone reports whether no process with the pid exists (zombies count as
// existing: the harness must reap what it kills).
func gone(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return os.IsNotExist(err)
}
