package driver

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var (
	allocSink []*[64]byte
	errFail   = errors.New("fail")
)

// countOp counts its calls, allocates one 64-byte object per call, fails
// every failEvery-th call and panics at call panicAt (when non-zero).
type countOp struct {
	Func
	calls, failEvery, panicAt uint64
	cancel                    context.CancelFunc
	cancelAt                  uint64
}

func (o *countOp) Do(context.Context) error {
	o.calls++
	allocSink = append(allocSink[:0], new([64]byte))
	if o.panicAt > 0 && o.calls == o.panicAt {
		panic("boom")
	}
	if o.cancelAt > 0 && o.calls == o.cancelAt {
		o.cancel()
	}
	if o.failEvery > 0 && o.calls%o.failEvery == 0 {
		return errFail
	}
	return nil
}

func TestIterationsRunsExactlyN(t *testing.T) {
	allocSink = make([]*[64]byte, 0, 1)
	for _, tt := range []struct {
		name      string
		op        *countOp
		cancel    bool
		status    string
		completed uint64
		errors    uint64
		reason    string
	}{
		{"plain: every call made, once", &countOp{}, false, StatusOK, 1000, 0, ""},
		{"errors are counted, the loop goes on", &countOp{failEvery: 10}, false, StatusOK, 1000, 100, ""},
		{"a panic ends the loop and fails the run", &countOp{panicAt: 7}, false, StatusFailed, 7, 0, "op panicked: boom"},
		{"an interrupt stops between calls", &countOp{cancelAt: 300}, true, StatusRateNotAchieved, 300, 0, "interrupted after 300 of 1000 iterations"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			tt.op.cancel = cancel
			res, err := Run(ctx, Config{Name: "it", Op: "count", Out: dir, Iterations: 1000}, tt.op)
			if tt.status == StatusFailed {
				if err == nil {
					t.Error("Run returned no error for a failed run")
				}
			} else if err != nil {
				t.Fatal(err)
			}
			r := readResult(t, dir)
			if r.Status != tt.status || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("status %q reason %q; want %q containing %q", r.Status, r.Reason, tt.status, tt.reason)
			}
			if r.Completed != tt.completed || tt.op.calls != tt.completed || r.Errors != tt.errors {
				t.Errorf("completed %d (op saw %d calls), errors %d; want %d, %d", r.Completed, tt.op.calls, r.Errors, tt.completed, tt.errors)
			}
			if r.Iterations != 1000 || r.Scheduled != 1000 || r.Schedule != "closed-loop" || res.Iterations != 1000 {
				t.Errorf("iterations %d scheduled %d schedule %q; want 1000, 1000, closed-loop", r.Iterations, r.Scheduled, r.Schedule)
			}
			if tt.status == StatusFailed {
				return
			}
			// ReadMemStats at each end of the loop is exact: the loop
			// itself allocates nothing.
			if got := r.Runtime.AllocObjects; got != tt.completed {
				t.Errorf("alloc_objects %d; want %d, one per call", got, tt.completed)
			}
			if got := r.Runtime.AllocB; got != 64*tt.completed {
				t.Errorf("alloc_B %d; want %d", got, 64*tt.completed)
			}
			for _, f := range []string{"latency.hlog", "progress.json"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
					t.Errorf("%s written in iterations mode", f)
				}
			}
			bench, err := os.ReadFile(filepath.Join(dir, "bench.txt"))
			if err != nil {
				t.Fatal(err)
			}
			m := benchLine.FindStringSubmatch(strings.Split(strings.TrimSpace(string(bench)), "\n")[1])
			if m == nil || m[1] != "BenchmarkIt/op=count-"+itoa(r.GOMAXPROCS) && m[1] != "BenchmarkIt/op=count" {
				t.Fatalf("bench.txt: %q", bench)
			}
			if m[2] != itoa(int(tt.completed)) || !strings.Contains(m[3], "\t1 allocs/op\t64 B/op\t"+itoa(int(tt.errors))+" errors") {
				t.Errorf("bench.txt line %q; want %d iterations, 1 allocs/op, 64 B/op, %d errors", m[0], tt.completed, tt.errors)
			}
		})
	}
}

func itoa(n int) string { return fmtMetric(float64(n)) }

func TestIterationsFlagErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-iterations", "10", "-op", "noop", "-out", "X", "-rate", "5"}, "-rate and -schedule do not apply"},
		{[]string{"-iterations", "10", "-op", "noop", "-out", "X", "-schedule", "steps:1,2"}, "-rate and -schedule do not apply"},
		{[]string{"-iterations", "10", "-op", "noop", "-out", "X", "-duration", "1s"}, "-duration and -warmup do not apply"},
		{[]string{"-iterations", "10", "-op", "noop", "-out", "X", "-warmup", "1s"}, "-duration and -warmup do not apply"},
		{[]string{"-iterations", "10", "-op", "noop", "-out", "X", "-concurrency", "2"}, "-concurrency must be 1"},
		{[]string{"-iterations", "10", "-out", "X"}, "-op: required"},
	} {
		dir := t.TempDir()
		for i, a := range tt.args {
			if a == "X" {
				tt.args[i] = dir
			}
		}
		code, _, stderr := runCommand(t, tt.args...)
		if code != ExitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tt.args, code, stderr, ExitUsage, tt.want)
		}
	}
}

func TestIterationsCommand(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCommand(t, "-name", "demo", "-op", "noop", "-iterations", "500", "-out", dir)
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, ": ok 500 of 500 iterations closed loop") {
		t.Errorf("summary line %q", stdout)
	}
	r := readResult(t, dir)
	if r.Completed != 500 || r.Status != StatusOK || r.AchievedRate <= 0 || r.ElapsedNs <= 0 {
		t.Errorf("result %+v", r)
	}
	if strings.Join(r.Files, " ") != "bench.txt result.json" {
		t.Errorf("files %q; want bench.txt and result.json", r.Files)
	}
}
