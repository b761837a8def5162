package run

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/perfharness/harness/harness/escape"
)

// A Proc is one child process the harness starts: a workload, a server, a
// load client or a test binary. It runs in its own process group so that
// everything it starts can be stopped together, with its output going to
// files (never pipes: a grandchild that keeps stdout open cannot hang us).
type Proc struct {
	Path   string
	Args   []string
	Env    []string
	Dir    string
	Stdout string // file the child's stdout goes to
	Stderr string // file the child's stderr goes to
	// CPUs pins the process to a CPU list ("0-1,3") with taskset.
	CPUs string
	// Timeout is the deadline; at it the group gets SIGTERM, and SIGKILL
	// after Grace.
	Timeout time.Duration
	Grace   time.Duration
}

// An Exit is how a Proc ended.
type Exit struct {
	Code     int    // exit code, -1 when killed by a signal
	Signal   string // e.g. "SIGSEGV"; empty for a normal exit
	TimedOut bool   // the deadline passed
	// Stopped says the harness stopped it (a hard interrupt or an explicit
	// Stop), so a signal death is not the workload's fault.
	Stopped  bool
	Duration time.Duration
	Err      error // the process could not be started
}

// A running is a started Proc.
type running struct {
	cmd   *exec.Cmd
	pgid  int
	start time.Time
	done  chan struct{}
	exit  Exit
	files []*os.File
	stop  chan struct{}
}

// start starts p. The returned running must be waited for.
func start(p Proc) (*running, error) {
	path, args := p.Path, p.Args
	if p.CPUs != "" {
		ts, err := exec.LookPath("taskset")
		if err != nil {
			return nil, fmt.Errorf("pinning to CPUs %s needs taskset (util-linux): %w", p.CPUs, err)
		}
		args = append([]string{"-c", p.CPUs, path}, args...)
		path = ts
	}
	cmd := exec.Command(path, args...)
	cmd.Env = p.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = p.Dir
	// Own process group; and if the harness dies, the child is killed too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	r := &running{cmd: cmd, done: make(chan struct{}), stop: make(chan struct{})}
	out, err := openOutput(p.Stdout)
	if err != nil {
		return nil, err
	}
	errf, err := openOutput(p.Stderr)
	if err != nil {
		out.Close()
		return nil, err
	}
	r.files = []*os.File{out, errf}
	cmd.Stdout, cmd.Stderr = out, errf
	if err := cmd.Start(); err != nil {
		r.closeFiles()
		return nil, fmt.Errorf("starting %s: %w", p.Path, err)
	}
	r.start = time.Now()
	r.pgid = cmd.Process.Pid
	go r.wait()
	return r, nil
}

func openOutput(path string) (*os.File, error) {
	if path == "" {
		return os.Open(os.DevNull)
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
}

func (r *running) closeFiles() {
	for _, f := range r.files {
		f.Close()
	}
}

func (r *running) wait() {
	err := r.cmd.Wait()
	r.exit.Duration = time.Since(r.start)
	// Whatever the leader left behind in its group goes too.
	syscall.Kill(-r.pgid, syscall.SIGKILL)
	r.closeFiles()
	r.exit.Code = r.cmd.ProcessState.ExitCode()
	if ws, ok := r.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		r.exit.Signal = signalName(ws.Signal())
	}
	if err != nil && r.exit.Code == 0 && r.exit.Signal == "" {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			r.exit.Err = err
		}
	}
	close(r.done)
}

// signal sends sig to the whole process group.
func (r *running) signal(sig syscall.Signal) {
	syscall.Kill(-r.pgid, sig)
}

// terminate asks the group to stop (SIGTERM) and kills it (SIGKILL) if it
// has not exited after grace.
func (r *running) terminate(grace time.Duration) {
	r.signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(grace):
		r.signal(syscall.SIGKILL)
		<-r.done
	}
}

// Run starts p and waits for it, enforcing its deadline: SIGTERM to the
// group at the deadline, SIGKILL after the grace period. Canceling ctx
// kills the group at once (the second Ctrl-C).
func Run(ctx context.Context, p Proc) Exit {
	r, err := start(p)
	if err != nil {
		return Exit{Code: -1, Err: err}
	}
	return r.await(ctx, p.Timeout, p.Grace)
}

func (r *running) await(ctx context.Context, timeout, grace time.Duration) Exit {
	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	}
	if grace <= 0 {
		grace = 5 * time.Second
	}
	select {
	case <-r.done:
	case <-deadline:
		r.exit.TimedOut = true
		r.terminate(grace)
	case <-ctx.Done():
		r.exit.Stopped = true
		r.signal(syscall.SIGKILL)
		<-r.done
	case <-r.stop:
		r.exit.Stopped = true
		r.terminate(grace)
	}
	<-r.done
	return r.exit
}

func signalName(s syscall.Signal) string {
	names := map[syscall.Signal]string{
		syscall.SIGABRT: "SIGABRT", syscall.SIGBUS: "SIGBUS", syscall.SIGFPE: "SIGFPE",
		syscall.SIGHUP: "SIGHUP", syscall.SIGILL: "SIGILL", syscall.SIGINT: "SIGINT",
		syscall.SIGKILL: "SIGKILL", syscall.SIGPIPE: "SIGPIPE", syscall.SIGQUIT: "SIGQUIT",
		syscall.SIGSEGV: "SIGSEGV", syscall.SIGTERM: "SIGTERM", syscall.SIGTRAP: "SIGTRAP",
		syscall.SIGUSR1: "SIGUSR1", syscall.SIGUSR2: "SIGUSR2", syscall.SIGXCPU: "SIGXCPU",
	}
	if n, ok := names[s]; ok {
		return n
	}
	return fmt.Sprintf("signal %d", int(s))
}

// crashSummary is the part of a crashed process's stderr worth a reason: for
// a Go crash, the "panic:" or "fatal error:" line and the frames after it
// (the goroutine dump that follows is noise in a summary); otherwise the last
// lines.
func crashSummary(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	const maxBytes = 1 << 20
	if len(data) > maxBytes {
		data = data[:maxBytes]
	}
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			end := min(i+10, len(lines))
			return sanitize(strings.TrimSpace(strings.Join(lines[i:end], "\n")))
		}
	}
	return tail(path, 15)
}

// tail returns the last n lines of a file, for failure reasons.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	const maxBytes = 8 << 10
	if len(data) > maxBytes {
		data = data[len(data)-maxBytes:]
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return sanitize(strings.TrimSpace(strings.Join(lines, "\n")))
}

// sanitize escapes control characters and invalid UTF-8 (a workload may
// print anything) so reasons are safe to show in a terminal.
func sanitize(s string) string { return escape.Text(s) }
