// Command faults is a test-only workload whose ops misbehave in the ways
// real workloads do, so that every failure mode of a harness run is a
// tested, named outcome: crashes (panic, SIGSEGV, exit code), hangs that
// ignore SIGTERM, grandchildren that keep stdout open or leave the session,
// memory exhaustion, gigabytes of stderr before a panic, garbage and fake
// benchmark lines on stdout, a truncated result file, and a sleeping op for
// known-answer latency tests.
//
// Each op takes the param "after" (default 0): how long into the process it
// behaves before the fault. Ops that do not fault immediately are cheap
// no-ops until then, so healthy cells beside them stay fast.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/perfharness/harness/workloads/driver"
)

// A fault is an op that runs as a no-op until its trigger time, then fires
// once.
type fault struct {
	fire  func(p *fault)
	after time.Duration
	start time.Time
	once  sync.Once
	out   string // the -out folder, for faults that corrupt it
	p     driver.Params
	sleep time.Duration
}

func (f *fault) Setup(ctx context.Context, p driver.Params) error {
	var err error
	if f.after, err = p.Duration("after", 0); err != nil {
		return err
	}
	if f.sleep, err = p.Duration("sleep", time.Second); err != nil {
		return err
	}
	f.start = time.Now()
	f.p = p
	f.out = outDir()
	return nil
}

func (f *fault) Do(ctx context.Context) error {
	if time.Since(f.start) >= f.after {
		f.once.Do(func() { f.fire(f) })
	}
	return nil
}

func (f *fault) Teardown() {}

// outDir finds the -out flag's value; the driver owns flags, and this
// test-only workload only needs to know where to leave a broken file.
func outDir() string {
	for i, a := range os.Args {
		if a == "-out" && i+1 < len(os.Args) {
			return os.Args[i+1]
		}
		if len(a) > 5 && a[:5] == "-out=" {
			return a[5:]
		}
	}
	return ""
}

var sink [][]byte

func main() {
	driver.Main(driver.Ops{
		"ok": driver.Func(func(context.Context) error { return nil }),
		// panic crashes the process: the panic happens on a goroutine of
		// its own, where no recover in the driver can catch it.
		"panic": &fault{fire: func(*fault) {
			go panic("fault workload: deliberate panic")
			time.Sleep(time.Second)
		}},
		// segv dereferences nil with GOTRACEBACK=crash, so the process dies
		// by a signal (SIGABRT after the SIGSEGV report), as a cgo crash would.
		"segv": &fault{fire: func(*fault) {
			debug.SetTraceback("crash")
			go func() {
				var p *int
				*p = 1
			}()
			time.Sleep(time.Second)
		}},
		"exit7": &fault{fire: func(*fault) {
			fmt.Fprintln(os.Stderr, "fault workload: exiting with status 7")
			os.Exit(7)
		}},
		// hang ignores SIGTERM and stops making progress: only SIGKILL
		// ends it.
		"hang": &fault{fire: func(*fault) {
			signal.Ignore(syscall.SIGTERM, syscall.SIGINT)
			fmt.Fprintln(os.Stderr, "fault workload: hanging, ignoring SIGTERM")
			select {}
		}},
		// grandchild starts a process that inherits stdout and outlives
		// this one, then exits normally through the driver.
		"grandchild": &fault{fire: func(*fault) {
			cmd := exec.Command("sleep", "600")
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			if err := cmd.Start(); err == nil {
				fmt.Fprintf(os.Stderr, "fault workload: started grandchild %d holding stdout\n", cmd.Process.Pid)
			}
		}},
		// setsid starts a daemon-like "sleep 300" in a session of its own,
		// out of reach of a process-group kill, and leaves it running.
		"setsid": &fault{fire: func(*fault) {
			cmd := exec.Command("sleep", "300")
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
			if err := cmd.Start(); err == nil {
				fmt.Fprintf(os.Stderr, "fault workload: started %d in its own session\n", cmd.Process.Pid)
			}
		}},
		// spew writes "bytes" (default 64 MiB) of junk lines to stderr as
		// fast as it can, then panics: the log must stay bounded and the
		// reason must still be the panic.
		"spew": &fault{fire: func(f *fault) {
			n, err := f.p.Int("bytes", 64<<20)
			if err != nil {
				panic(err)
			}
			line := []byte(strings.Repeat("X", 1023) + "\n")
			buf := make([]byte, 0, 1<<20)
			for len(buf)+len(line) <= cap(buf) {
				buf = append(buf, line...)
			}
			for written := 0; written < n; written += len(buf) {
				os.Stderr.Write(buf)
			}
			go panic("fault workload: deliberate panic after the junk")
			time.Sleep(time.Second)
		}},
		// oom allocates until the runtime cannot get more memory under a
		// 512 MiB address-space limit.
		"oom": &fault{fire: func(*fault) {
			lim := &syscall.Rlimit{Cur: 512 << 20, Max: 512 << 20}
			syscall.Setrlimit(syscall.RLIMIT_AS, lim)
			for {
				b := make([]byte, 16<<20)
				for i := range b {
					b[i] = 1
				}
				sink = append(sink, b)
			}
		}},
		// garbage prints binary junk and fake benchmark lines to stdout,
		// which must never reach the results.
		"garbage": &fault{fire: func(*fault) {
			os.Stdout.Write([]byte{0, 1, 2, 0xff, 0xfe, '\n', 0x1b, '[', '2', 'J'})
			fmt.Println("BenchmarkFake/op=garbage-2 1000000 1 ns/op 1 p99-ns 999999999 ops/s")
			fmt.Println("goos: fake")
		}},
		// truncated leaves a cut-off result.json and exits 0 before the
		// driver writes the real one.
		"truncated": &fault{fire: func(f *fault) {
			if f.out != "" {
				os.WriteFile(filepath.Join(f.out, "result.json"), []byte(`{"format": 1, "status": "ok", "achieved_ra`), 0o644)
			}
			os.Exit(0)
		}},
		// stall sleeps once for "sleep" (default 1s) at "after": the
		// coordinated-omission known-answer scenario. With "once: cell"
		// only the cell's first process stalls (a marker file in the
		// cell's folder, the parent of -out), the way a stall of the host
		// hits one run and not its retry.
		"stall": &stall{},
	})
}

// stall is an op that takes 1 ms normally and sleeps once, for the known
// answer: at 1000 ops/s a 1 s stall from t=5 s makes P99 ≈ 901 ms with
// intended-start latency, while actual-start latency hides it.
type stall struct {
	after, sleep, service time.Duration
	start                 time.Time
	fired                 atomic.Bool
}

// firstInCell reports whether no earlier process of this cell got here,
// leaving a marker for the next ones.
func firstInCell() (bool, error) {
	out := outDir()
	if out == "" {
		return false, fmt.Errorf("once: cell needs -out")
	}
	f, err := os.OpenFile(filepath.Join(filepath.Dir(filepath.Clean(out)), "stall-once.marker"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if errors.Is(err, os.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, f.Close()
}

func (s *stall) Setup(ctx context.Context, p driver.Params) error {
	var err error
	if s.after, err = p.Duration("after", 5*time.Second); err != nil {
		return err
	}
	if s.sleep, err = p.Duration("sleep", time.Second); err != nil {
		return err
	}
	if s.service, err = p.Duration("service", time.Millisecond); err != nil {
		return err
	}
	switch once := p.String("once", ""); once {
	case "":
	case "cell":
		first, err := firstInCell()
		if err != nil {
			return err
		}
		s.fired.Store(!first) // a later process of the cell never stalls
	default:
		return fmt.Errorf("once: want \"cell\" or nothing, got %q", once)
	}
	return nil
}

func (s *stall) StartWindow(ctx context.Context) error { s.start = time.Now(); return nil }
func (s *stall) StopWindow(ctx context.Context) error  { return nil }

func (s *stall) Do(ctx context.Context) error {
	if !s.start.IsZero() && time.Since(s.start) >= s.after && s.fired.CompareAndSwap(false, true) {
		time.Sleep(s.sleep)
		return nil
	}
	deadline := time.Now().Add(s.service)
	for time.Now().Before(deadline) {
	}
	return nil
}

func (s *stall) Teardown() {}
