package run

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultLogCap bounds each output file of a process (stdout.log,
// stderr.log) on disk: its first and last halves are kept, with a line
// between them saying how much was dropped. A workload printing gigabytes
// costs the disk 16 MiB and the harness's memory nothing more.
const DefaultLogCap = 16 << 20

const (
	// tailKeep is the end of a stream kept in memory for failure reasons.
	tailKeep = 64 << 10
	// maxLine is the longest line a line reader (go test output) sees
	// whole, and maxReportLine the longest a crash report quotes; the rest
	// of a longer line is cut.
	maxLine       = 64 << 10
	maxReportLine = 300
	// drainWait bounds the wait for a stream's end once its process and
	// every descendant are gone.
	drainWait = 5 * time.Second
)

// An Output is one output stream of a child process as the harness keeps
// it. The child writes into a pipe; the harness copies the pipe into a file
// holding at most Cap bytes (the head as it comes, the tail in a ring
// rotated into order at the end), keeps the last bytes in memory, reads
// the stream line by line for a crash report wherever it appears, and hands
// each line to an optional reader. Nothing reads the file back whole.
type Output struct {
	Path    string
	Cap     int64
	Written int64 // bytes the process wrote
	Dropped int64 // bytes left out of the file (the middle of the stream)
	Err     error // the file could not be written (disk full): set once

	f      *os.File
	r, w   *os.File // the pipe
	done   chan struct{}
	tail   []byte // ring of the last tailKeep bytes
	tailN  int64
	crash  crashScanner
	lines  func(line []byte)
	cur    []byte // the current line, up to maxLine bytes
	curCut bool
	mu     sync.Mutex // guards the summary fields while copying
}

// newOutput creates the file at path and a pipe for the child to write
// into. lines, when set, receives every line of the stream (without its
// newline; lines longer than maxLine cut), from the copying goroutine.
func newOutput(path string, limit int64, lines func([]byte)) (*Output, error) {
	if limit <= 0 {
		limit = DefaultLogCap
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		f.Close()
		return nil, err
	}
	growPipe(w)
	return &Output{Path: path, Cap: limit, f: f, r: r, w: w, done: make(chan struct{}), tail: make([]byte, tailKeep), lines: lines}, nil
}

// started is called once the child has its copy of the pipe: the harness
// closes its own write end (so the stream ends when the child's writers
// are gone) and starts copying.
func (o *Output) started() {
	o.w.Close()
	o.w = nil
	go o.copy()
}

// abort undoes newOutput when the child could not be started.
func (o *Output) abort() {
	if o.w != nil {
		o.w.Close()
	}
	o.r.Close()
	o.f.Close()
}

func (o *Output) copy() {
	defer close(o.done)
	buf := make([]byte, 256<<10)
	for {
		n, err := o.r.Read(buf)
		if n > 0 {
			o.consume(buf[:n])
		}
		if err != nil {
			break
		}
	}
	o.mu.Lock()
	if len(o.cur) > 0 || o.curCut {
		o.endLine()
	}
	o.mu.Unlock()
}

// finish waits for the stream to end — the process and its descendants
// are gone, so it ends at once unless something outside the harness's
// reach holds the pipe, which then is cut — and puts the file in order.
func (o *Output) finish() {
	select {
	case <-o.done:
	case <-time.After(drainWait):
		o.r.Close()
		<-o.done
	}
	o.r.Close()
	if err := o.order(); err != nil && o.Err == nil {
		o.Err = err
	}
	o.f.Close()
}

func (o *Output) consume(b []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.store(b)
	o.keepTail(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			o.addToLine(b)
			break
		}
		o.addToLine(b[:i])
		o.endLine()
		b = b[i+1:]
	}
}

// store writes b to the file: bytes up to the head size in place, later
// ones into the tail ring that follows the head.
func (o *Output) store(b []byte) {
	headSize, ringSize := o.Cap-o.Cap/2, o.Cap/2
	pos := o.Written
	o.Written += int64(len(b))
	if o.Err != nil {
		return
	}
	if pos < headSize {
		k := min(int64(len(b)), headSize-pos)
		if _, err := o.f.WriteAt(b[:k], pos); err != nil {
			o.Err = err
			return
		}
		b, pos = b[k:], pos+k
	}
	for len(b) > 0 && ringSize > 0 {
		off := (pos - headSize) % ringSize
		k := min(int64(len(b)), ringSize-off)
		if _, err := o.f.WriteAt(b[:k], headSize+off); err != nil {
			o.Err = err
			return
		}
		b, pos = b[k:], pos+k
	}
}

func (o *Output) keepTail(b []byte) {
	if len(b) > len(o.tail) {
		b = b[len(b)-len(o.tail):]
	}
	for len(b) > 0 {
		off := o.tailN % int64(len(o.tail))
		k := copy(o.tail[off:], b)
		b = b[k:]
		o.tailN += int64(k)
	}
}

func (o *Output) addToLine(b []byte) {
	limit := maxReportLine
	if o.lines != nil {
		limit = maxLine
	}
	if room := limit - len(o.cur); room < len(b) {
		b = b[:max(room, 0)]
		o.curCut = true
	}
	o.cur = append(o.cur, b...)
}

func (o *Output) endLine() {
	line := bytes.TrimSuffix(o.cur, []byte("\r"))
	o.crash.line(line)
	if o.lines != nil {
		o.lines(line)
	}
	o.cur, o.curCut = o.cur[:0], false
}

// order rewrites a file whose tail ring wrapped into head, a line saying
// what was dropped, and the tail in order. The copy goes through a small
// buffer: the file is never read whole.
func (o *Output) order() error {
	headSize, ringSize := o.Cap-o.Cap/2, o.Cap/2
	if o.Err != nil || o.Written <= o.Cap {
		return nil // in order already: the ring never wrapped
	}
	start := (o.Written - headSize) % ringSize // the oldest byte kept
	tail := io.MultiReader(io.NewSectionReader(o.f, headSize+start, ringSize-start), io.NewSectionReader(o.f, headSize, start))
	// Start the tail at a line: a cut line helps no one.
	br := newPeekReader(tail)
	skipped := br.skipPartialLine(4 << 10)
	o.Dropped = o.Written - o.Cap + skipped
	tmp, err := os.CreateTemp(filepath.Dir(o.Path), "."+filepath.Base(o.Path)+".tmp*")
	if err != nil {
		return err
	}
	fail := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if _, err := io.Copy(tmp, io.NewSectionReader(o.f, 0, headSize)); err != nil {
		return fail(err)
	}
	last := make([]byte, 1)
	sep := ""
	if _, err := o.f.ReadAt(last, headSize-1); err == nil && last[0] != '\n' {
		sep = "\n"
	}
	fmt.Fprintf(tmp, "%s[harness: %s dropped here (%d bytes): logs are capped at %s, their first and last %s kept]\n",
		sep, logSize(o.Dropped), o.Dropped, logSize(o.Cap), logSize(ringSize))
	if _, err := io.Copy(tmp, br); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), o.Path)
}

// Tail returns the last n lines of the stream, made safe for a terminal.
func (o *Output) Tail(n int) string {
	if o == nil {
		return ""
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return lastLines(o.tailBytes(), n)
}

func (o *Output) tailBytes() []byte {
	size := int64(len(o.tail))
	if o.tailN <= size {
		return append([]byte(nil), o.tail[:o.tailN]...)
	}
	off := o.tailN % size
	return append(append([]byte(nil), o.tail[off:]...), o.tail[:off]...)
}

func lastLines(data []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	var keep []string
	for _, l := range lines {
		if !registerLine.MatchString(l) {
			keep = append(keep, l)
		}
	}
	if len(keep) > n {
		keep = keep[len(keep)-n:]
	}
	return sanitize(strings.TrimSpace(strings.Join(keep, "\n")))
}

// Summary is what a failure reason quotes of the stream: the crash report
// found in it — a Go panic or fatal error with the lines after it, else a
// runtime, cgo or signal report — wherever in the stream it was; an
// out-of-memory line seen anywhere leads it; without a report, the last
// lines. Register dumps are left out.
func (o *Output) Summary() string {
	if o == nil {
		return ""
	}
	o.mu.Lock()
	s := o.crash.summary()
	o.mu.Unlock()
	if s != "" {
		return s
	}
	return o.Tail(15)
}

// note says what was left out of the file, for the run's warnings.
func (o *Output) note() string {
	if o == nil {
		return ""
	}
	name := filepath.Base(o.Path)
	switch {
	case o.Err != nil:
		return fmt.Sprintf("%s: writing it failed after %s: %v", name, logSize(o.Written), o.Err)
	case o.Dropped > 0:
		return fmt.Sprintf("%s: the process wrote %s; %s in the middle were dropped (logs are capped at %s: first and last halves kept)",
			name, logSize(o.Written), logSize(o.Dropped), logSize(o.Cap))
	}
	return ""
}

// logSize is a byte count for people.
func logSize(b int64) string {
	if b >= 1<<30 {
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	}
	return sizeString(b)
}

// growPipe raises a pipe's buffer to 1 MiB where the system allows, so a
// burst of output does not stall the writer on the copier.
func growPipe(w *os.File) {
	const fSetPipeSz = 1031 // F_SETPIPE_SZ (Linux)
	if sc, err := w.SyscallConn(); err == nil {
		sc.Control(func(fd uintptr) {
			syscall.Syscall(syscall.SYS_FCNTL, fd, fSetPipeSz, 1<<20)
		})
	}
}

// peekReader is a reader that can drop the bytes up to the first newline.
type peekReader struct {
	r   io.Reader
	buf []byte
}

func newPeekReader(r io.Reader) *peekReader { return &peekReader{r: r} }

// skipPartialLine drops the bytes before the first newline if one comes
// within max bytes, and returns how many it dropped.
func (p *peekReader) skipPartialLine(max int) int64 {
	b := make([]byte, max)
	n, _ := io.ReadFull(p.r, b)
	b = b[:n]
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		p.buf = b[i+1:]
		return int64(i + 1)
	}
	p.buf = b
	return 0
}

func (p *peekReader) Read(b []byte) (int, error) {
	if len(p.buf) > 0 {
		n := copy(b, p.buf)
		p.buf = p.buf[n:]
		return n, nil
	}
	return p.r.Read(b)
}

// A crashScanner reads a stream line by line for the report of a crash:
// the last "panic:" or "fatal error:" line (the runtime's report is the
// last thing a crashing process writes) with up to nine lines after it,
// preceded by "runtime:" lines just before it; failing that, the last
// runtime, cgo or signal report ("runtime/cgo: pthread_create failed",
// "SIGABRT: abort"); and the last out-of-memory line seen, which leads the
// summary when the report does not say it. Memory: a few lines.
type crashScanner struct {
	primary, secondary capture
	runtime            []string // "runtime:" lines just seen, for context
	oom                string
}

// A capture is a report being collected: its first line and those after.
type capture struct {
	lines  []string
	active bool
}

const reportLines = 10

var (
	signalLine   = regexp.MustCompile(`^SIG[A-Z0-9]+: `)
	registerLine = regexp.MustCompile(`^\s*[a-z][a-z0-9]{1,5}\s+0x[0-9a-f]+\s*$`)
	// oomWords mark a line that says memory (or threads) ran out, in the
	// runtime's, libc's and C++'s words.
	oomWords = [][]byte{[]byte("out of memory"), []byte("annot allocate memory"), []byte("bad_alloc"),
		[]byte("failed to create new OS thread"), []byte("pthread_create failed")}
)

func isOOMLine(b []byte) bool {
	for _, w := range oomWords {
		if bytes.Contains(b, w) {
			return true
		}
	}
	return false
}

var (
	prefixPanic   = []byte("panic: ")
	prefixFatal   = []byte("fatal error: ")
	prefixFatal2  = []byte("fatal: ")
	prefixRuntime = []byte("runtime: ")
	prefixCgo     = []byte("runtime/cgo: ")
)

func (c *capture) add(l string) {
	if !c.active {
		return
	}
	if registerLine.MatchString(l) || len(c.lines) >= reportLines {
		c.active = false
		return
	}
	c.lines = append(c.lines, l)
}

// line reads one line of the stream (at most maxReportLine bytes of it).
// Most lines of a chatty stream are none of the above: those cost a few
// prefix comparisons and nothing else.
func (s *crashScanner) line(b []byte) {
	primary := bytes.HasPrefix(b, prefixPanic) || bytes.HasPrefix(b, prefixFatal) || bytes.HasPrefix(b, prefixFatal2)
	runtime := bytes.HasPrefix(b, prefixRuntime)
	secondary := runtime || bytes.HasPrefix(b, prefixCgo) || len(b) > 4 && b[0] == 'S' && b[1] == 'I' && b[2] == 'G' && signalLine.Match(b)
	oom := len(b) < maxReportLine && isOOMLine(b)
	if !primary && !secondary && !oom && !s.primary.active && !s.secondary.active {
		s.runtime = s.runtime[:0]
		return
	}
	l := string(b)
	switch {
	case primary:
		s.primary = capture{lines: append(append([]string(nil), s.runtime...), l), active: true}
		s.secondary.add(l)
	case secondary:
		s.primary.add(l)
		if !s.secondary.active {
			s.secondary = capture{lines: []string{l}, active: true}
		} else {
			s.secondary.add(l)
		}
	default:
		s.primary.add(l)
		s.secondary.add(l)
	}
	if oom {
		s.oom = l
	}
	if runtime && len(s.runtime) < 3 {
		s.runtime = append(s.runtime, l)
	} else if !runtime {
		s.runtime = s.runtime[:0]
	}
}

func (s *crashScanner) summary() string {
	lines := s.primary.lines
	if len(lines) == 0 {
		lines = s.secondary.lines
	}
	if s.oom != "" && !strings.Contains(strings.Join(lines, "\n"), s.oom) {
		lines = append([]string{s.oom}, lines...)
	}
	return sanitize(strings.TrimSpace(strings.Join(lines, "\n")))
}

// readCapped reads a log the harness copies (a build log), at most limit
// bytes of it: its head, with a line saying the rest was left out.
func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		data = append(data[:limit], fmt.Sprintf("\n[harness: the rest of this log was left out: logs are capped at %s]\n", logSize(limit))...)
	}
	return data, nil
}
