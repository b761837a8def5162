package run

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/perfharness/harness/harness/escape"
)

// A Proc is one child process the harness starts: a workload, a server, a
// load client or a test binary. It runs in its own process group so that
// everything it starts can be stopped together, and whatever of its
// descendants escaped the group (setsid) is found and killed when it ends
// (see reapOrphans). Its output streams go through pipes into files capped
// at LogCap (see Output); a grandchild that keeps them open is killed with
// the rest, so it cannot hang the harness.
type Proc struct {
	Path   string
	Args   []string
	Env    []string
	Dir    string
	Stdout string // file the child's stdout goes to ("" for none)
	Stderr string // file the child's stderr goes to ("" for none)
	// LogCap bounds each output file (DefaultLogCap when 0).
	LogCap int64
	// StdoutLines, when set, receives each line of stdout as it comes (see
	// newOutput), from one goroutine, before Run returns.
	StdoutLines func(line []byte)
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
	// Orphans are the descendants still running when the process ended,
	// killed by the harness; Left those it could not stop.
	Orphans, Left []Orphan
	// Stdout and Stderr are the output streams as kept (nil when not
	// captured): their tails and crash reports.
	Stdout, Stderr *Output
}

func processes(n int) string {
	if n == 1 {
		return "1 process"
	}
	return fmt.Sprintf("%d processes", n)
}

// An Orphan is a process left behind by a run's process.
type Orphan struct {
	PID  int
	Comm string // its command name, as /proc has it
}

// notes are the run warnings an exit calls for: processes left behind and
// output dropped from the logs. who names the process ("" for the run's own).
func (e Exit) notes(who string) []string {
	if who != "" {
		who += " "
	}
	var out []string
	list := func(os []Orphan) string {
		var s []string
		for i, o := range os {
			if i == 10 {
				s = append(s, fmt.Sprintf("and %d more", len(os)-i))
				break
			}
			s = append(s, fmt.Sprintf("%d (%s)", o.PID, sanitize(o.Comm)))
		}
		return strings.Join(s, ", ")
	}
	if len(e.Orphans) > 0 {
		out = append(out, fmt.Sprintf("%sleft %s running after it ended, killed by the harness: %s", who, processes(len(e.Orphans)), list(e.Orphans)))
	}
	if len(e.Left) > 0 {
		out = append(out, fmt.Sprintf("%sleft %s the harness could not stop: %s", who, processes(len(e.Left)), list(e.Left)))
	}
	for _, o := range []*Output{e.Stdout, e.Stderr} {
		if n := o.note(); n != "" {
			out = append(out, who+n)
		}
	}
	return out
}

// A running is a started Proc.
type running struct {
	cmd        *exec.Cmd
	pgid       int
	start      time.Time
	startTicks uint64 // the start as /proc counts it, to tell its orphans
	done       chan struct{}
	exit       Exit
	outputs    []*Output
	stop       chan struct{}
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
	// Orphans of the child must come to the harness, not to init.
	becomeSubreaper()
	if p.Stdout != "" {
		o, err := newOutput(p.Stdout, p.LogCap, p.StdoutLines)
		if err != nil {
			return nil, err
		}
		r.exit.Stdout, cmd.Stdout = o, o.w
		r.outputs = append(r.outputs, o)
	}
	if p.Stderr != "" {
		o, err := newOutput(p.Stderr, p.LogCap, nil)
		if err != nil {
			r.abortOutputs()
			return nil, err
		}
		r.exit.Stderr, cmd.Stderr = o, o.w
		r.outputs = append(r.outputs, o)
	}
	if err := cmd.Start(); err != nil {
		r.abortOutputs()
		return nil, fmt.Errorf("starting %s: %w", p.Path, err)
	}
	r.start = time.Now()
	r.pgid = cmd.Process.Pid
	r.startTicks = startTicks(cmd.Process.Pid)
	for _, o := range r.outputs {
		o.started()
	}
	go r.wait()
	return r, nil
}

func (r *running) abortOutputs() {
	for _, o := range r.outputs {
		o.abort()
	}
}

func (r *running) wait() {
	err := r.cmd.Wait()
	r.exit.Duration = time.Since(r.start)
	// Whatever the leader left behind goes too: the rest of its group and
	// every descendant that left it.
	r.exit.Orphans, r.exit.Left = reapOrphans(r.pgid, r.startTicks)
	for _, o := range r.outputs {
		o.finish()
	}
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

// sanitize escapes control characters and invalid UTF-8 (a workload may
// print anything) so reasons are safe to show in a terminal.
func sanitize(s string) string { return escape.Text(s) }
