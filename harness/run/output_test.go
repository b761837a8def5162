package run

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A workload writing 3 GiB to stderr and then panicking: the harness's
// memory stays small (nothing reads the log whole), the log on disk is
// capped with its head, a line saying what was dropped and its tail, and
// the crash reason is the panic, not a line of X.
func TestOutputGigabytesThenPanic(t *testing.T) {
	const size = 3 << 30
	start := time.Now()
	exit, _ := runHelper(t, "spew", strconv.Itoa(size))
	took := time.Since(start)
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	peak := ru.Maxrss << 10 // KiB on Linux
	t.Logf("3 GiB through stderr in %s; test process peak RSS %.1f MiB; log %s", took.Round(time.Millisecond), float64(peak)/(1<<20), exit.Stderr.note())
	if peak > 200<<20 {
		t.Errorf("peak RSS %d MiB, want < 200 MiB", peak>>20)
	}
	if exit.Code != 2 {
		t.Errorf("exit %+v, want the panic's status 2", exit)
	}
	if exit.Stderr.Written < size {
		t.Errorf("%d bytes went through, want ≥ %d", exit.Stderr.Written, size)
	}
	fi, err := os.Stat(exit.Stderr.Path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > DefaultLogCap+1<<10 || fi.Size() < DefaultLogCap-8<<10 {
		t.Errorf("stderr.log is %d bytes, want about the cap %d", fi.Size(), DefaultLogCap)
	}
	f, err := os.Open(exit.Stderr.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := make([]byte, 4096)
	f.ReadAt(head, 0)
	end := make([]byte, 64<<10)
	n, _ := f.ReadAt(end, fi.Size()-int64(len(end)))
	end = end[:n]
	mid := make([]byte, 4096)
	f.ReadAt(mid, DefaultLogCap/2-1024)
	if !bytes.HasPrefix(head, bytes.Repeat([]byte("X"), 1023)) {
		t.Errorf("the log does not start with the stream's head: %.80q", head)
	}
	if !bytes.Contains(mid, []byte("[harness: ")) || !bytes.Contains(mid, []byte("dropped here")) {
		t.Errorf("no line saying what was dropped at the middle: %q", mid)
	}
	if !bytes.Contains(end, []byte("panic: helper: deliberate panic after the junk")) || !bytes.Contains(end, []byte("goroutine 1")) {
		t.Errorf("the log does not end with the stream's tail: %q", end[max(0, len(end)-500):])
	}
	if s := exit.Stderr.Summary(); !strings.HasPrefix(s, "panic: helper: deliberate panic after the junk") || strings.Contains(s, "XXXX") {
		t.Errorf("summary %q, want the panic", s)
	}
	if n := strings.Join(exit.notes(""), "\n"); !strings.Contains(n, "stderr.log: the process wrote 3.0 GiB") || !strings.Contains(n, "capped at 16.0 MiB") {
		t.Errorf("notes %q", n)
	}
}

// The crash reason is picked from the stream wherever the report is, and
// is never a register dump.
func TestCrashSummary(t *testing.T) {
	junk := strings.Repeat(strings.Repeat("X", 200)+"\n", 2000)
	goroutines := strings.Repeat("goroutine 7 [select]:\nmain.worker()\n\t/src/main.go:40 +0x1d\n\n", 5000)
	regs := "rax    0x0\nrbx    0x7f1\nrip    0x46d7e1\nrflags 0x246\ncs     0x33\nfs     0x0\ngs     0x0\n"
	for _, tt := range []struct {
		why, stream, want, notWant string
	}{
		{"a panic after junk", junk + "panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n", "panic: boom\n\ngoroutine 1 [running]:\nmain.main()", "XXX"},
		{"a panic followed by a long goroutine dump (beyond any tail)", "panic: early\n\ngoroutine 1 [running]:\n" + goroutines, "panic: early", ""},
		{"an earlier fake panic line: the runtime's comes last", "panic: printed by the workload\n" + junk + "panic: the real one\n", "panic: the real one", "printed by the workload"},
		{"Go out of memory", junk + "runtime: out of memory: cannot allocate 16777216-byte block (520093696 in use)\nfatal error: out of memory\n\ngoroutine 1 [running]:\n", "runtime: out of memory: cannot allocate 16777216-byte block (520093696 in use)\nfatal error: out of memory", ""},
		{"cgo thread creation failing: no register dump", junk + "runtime/cgo: pthread_create failed: Resource temporarily unavailable\nSIGABRT: abort\nPC=0x7f0 m=3 sigcode=18446744073709551610\n\ngoroutine 0 gp=0x0 m=3 [idle]:\n" + regs, "runtime/cgo: pthread_create failed: Resource temporarily unavailable", "rax"},
		{"a signal report with registers", "SIGSEGV: segmentation violation\nPC=0x46d7e1 m=0 sigcode=1\n" + regs + "\ngoroutine 1 [running]:\n", "SIGSEGV: segmentation violation\nPC=0x46d7e1 m=0 sigcode=1", "rip"},
		{"no report: the last lines, registers left out", junk + "fault workload: hanging\n" + regs, "fault workload: hanging", "rflags"},
		{"control characters made safe", "panic: \x1b[2Jcleared\n", "panic: \\u001b[2Jcleared", "\x1b"},
	} {
		dir := t.TempDir()
		o, err := newOutput(dir+"/stderr.log", 1<<20, nil)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			r := strings.NewReader(tt.stream)
			buf := make([]byte, 4093) // splits lines across writes
			for {
				n, err := r.Read(buf)
				if n > 0 {
					o.w.Write(buf[:n])
				}
				if err != nil {
					break
				}
			}
			o.w.Close()
		}()
		o.copy()
		o.finish()
		got := o.Summary()
		if !strings.HasPrefix(got, tt.want) && !strings.HasSuffix(got, tt.want) || (tt.notWant != "" && strings.Contains(got, tt.notWant)) {
			t.Errorf("%s: summary\n%.2000s\nwant it to start (or end) with\n%s\nwithout %q", tt.why, got, tt.want, tt.notWant)
		}
	}
}
