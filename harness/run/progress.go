package run

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/perfharness/harness/harness/escape"
	"github.com/perfharness/harness/harness/results"
)

// A progress reports long work as it happens. On a terminal it keeps one
// live status line (current step, elapsed, ETA) under the finished steps; in
// CI or a pipe it prints one plain line per finished step and nothing else.
type progress struct {
	w     io.Writer
	tty   bool
	mu    sync.Mutex
	live  string // current status line (tty only)
	start time.Time
	stop  chan struct{}
	done  chan struct{}
	// For the ETA: runs done, runs total, and the time they took.
	runsDone, runsTotal int
	runTime             time.Duration
	current             string
	currentStart        time.Time
	currentExpected     time.Duration
	// watch is the progress.json of the run in progress, whose latest
	// second (rate, P99) the live line shows.
	watch string
}

func newProgress(w io.Writer, tty bool) *progress {
	// The live line's own control sequences must reach the terminal, so
	// progress writes to the stream beneath an escaping writer and escapes
	// its lines itself: they hold cell ids, reasons and workload output.
	if u, ok := w.(interface{ Unwrap() io.Writer }); ok && tty {
		w = u.Unwrap()
	}
	p := &progress{w: w, tty: tty, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	if tty {
		go p.tick()
	} else {
		close(p.done)
	}
	return p
}

// tick redraws the live line every quarter second so elapsed time moves.
func (p *progress) tick() {
	defer close(p.done)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.redraw()
			p.mu.Unlock()
		}
	}
}

func (p *progress) close() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.live != "" {
		fmt.Fprint(p.w, "\r\033[K")
		p.live = ""
	}
}

// Printf prints a finished step as a permanent line.
func (p *progress) Printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprint(p.w, escape.Text(fmt.Sprintf(format, args...))+"\n")
	if p.tty {
		p.redraw()
	}
}

// status sets the live line's subject (tty only), and the progress file of
// the run it is about ("" for none).
func (p *progress) status(s string, expected time.Duration, watch string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.current, p.currentStart, p.currentExpected, p.watch = s, time.Now(), expected, watch
	if p.tty {
		p.redraw()
	}
}

func (p *progress) redraw() {
	if !p.tty || p.current == "" {
		return
	}
	elapsed := time.Since(p.start).Round(time.Second)
	line := p.current
	if live := readLive(p.watch); live != "" {
		line += "  " + live
	}
	line += fmt.Sprintf("  [%s", elapsed)
	if eta := p.eta(); eta > 0 {
		line += fmt.Sprintf(", ETA %s", eta.Round(time.Second))
	}
	line = escape.Line(line + "]")
	if width := 160; len(line) > width {
		line = line[:width-1] + "…"
	}
	p.live = line
	fmt.Fprint(p.w, "\r\033[K"+line)
}

// eta estimates the remaining time from the runs done so far, or from the
// expected run length before any has finished.
func (p *progress) eta() time.Duration {
	left := p.runsTotal - p.runsDone
	if left <= 0 || p.runsTotal == 0 {
		return 0
	}
	per := p.currentExpected
	if p.runsDone > 0 {
		per = p.runTime / time.Duration(p.runsDone)
	}
	eta := time.Duration(left) * per
	if !p.currentStart.IsZero() {
		eta -= min(time.Since(p.currentStart), per)
	}
	return max(eta, 0)
}

func (p *progress) runFinished(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.runsDone++
	p.runTime += d
}

func (p *progress) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runsTotal
}

func (p *progress) setTotal(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.runsTotal = n
}

// readLive summarizes a workload's progress.json: the last complete
// second's rate and P99.
func readLive(path string) string {
	if path == "" {
		return ""
	}
	data, err := results.ReadFileIn(filepath.Dir(path), filepath.Base(path))
	if err != nil {
		return ""
	}
	var pr struct {
		Interval  int     `json:"interval"`
		Completed uint64  `json:"completed"`
		Rate      float64 `json:"rate"`
		P99Ns     int64   `json:"p99_ns"`
	}
	if json.Unmarshal(data, &pr) != nil || pr.Interval == 0 {
		return ""
	}
	return fmt.Sprintf("t=%ds %.6g ops/s p99 %s", pr.Interval, pr.Rate, time.Duration(pr.P99Ns).Round(time.Microsecond))
}

// shorten keeps the end of a long cell id readable in a status line.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n+1:]
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, strings.TrimSuffix(word, "s"))
}
