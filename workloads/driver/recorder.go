package driver

import (
	"bufio"
	"fmt"
	"io"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry: values are nanoseconds from 1 ns to 1 hour at 3
// significant digits (about 0.1% resolution). A larger value is recorded as
// 1 hour and counted as an overflow.
const (
	histLowest  = 1
	histHighest = int64(time.Hour)
	histSigFigs = 3
	maxInterval = time.Second
	minInterval = 10 * time.Millisecond
	// pointsPerWindow is how many intervals a window is cut into at
	// least (up to maxInterval each): a latency-over-time plot of a short
	// window needs points to show a trend.
	pointsPerWindow = 20
	tagIntended     = "intended"
	tagActual       = "actual"
	tagLag          = "lag"
	numSeries       = 3
	maxKeptBytes    = 16 << 20
	seriesIntend    = 0
	seriesActual    = 1
	seriesLag       = 2
)

// maxOpenIntervals bounds the intervals held open behind an op that has not
// completed (see recorder).
const maxOpenIntervals = 16

var seriesTags = [numSeries]string{tagIntended, tagActual, tagLag}

// An interval holds what was recorded for the ops due in one second of the
// measured window.
type interval struct {
	index    int
	expected uint64 // ops due in it
	done     uint64 // of those, completed (with or without error)
	lateOps  uint64 // ops due in an earlier, already written interval
	errors   uint64
	hist     [numSeries]*hdr.Histogram
	overflow [numSeries]uint64
}

// A recorder collects latencies into per-interval histograms. Ops are
// attributed to the interval they were due in, not the one they finished in,
// so a stall shows where the ops should have run and each interval holds the
// schedule's count. An interval is complete once all its ops are; complete
// intervals go, in order, to a writer goroutine that encodes them to the
// interval log and merges them into the totals.
//
// At most maxOpenIntervals stay open: an op that hangs would otherwise keep
// every later interval (~0.8 MB each) in memory. Past that bound the oldest
// interval is written as it is, and an op due in it that completes later is
// recorded in the oldest interval still open (counted in late): the totals
// keep every op, only its place in the log moves.
//
// Note: one mutex guards recording. Per-worker histograms would avoid it, but
// cost 810 KB of live heap per worker, which would move the GC pacing of the
// very workload being measured; the critical section is three RecordValue
// calls (~30 ns) and only GOMAXPROCS goroutines can contend for it.
type recorder struct {
	sched    Schedule
	ws, we   time.Duration // measured window, as schedule offsets
	interval time.Duration // of the log: intervalFor(we − ws)

	mu      sync.Mutex
	base    int         // index of open[0]
	open    []*interval // intervals not yet complete, from base on
	evicted []*interval // written before completion, to send to the writer
	late    uint64      // ops recorded in a later interval than their own
	free    []*interval
	out     chan *interval

	// Owned by the writer goroutine until close returns.
	totals   [numSeries]*hdr.Histogram
	overflow [numSeries]uint64
	done     uint64
	errors   uint64
	nWritten int
	werr     error
	finished chan struct{}

	// onInterval, if set, sees each complete interval (its index, the ops
	// completed so far in the window, and its intended-start histogram)
	// before the histogram is recycled. Set it before recording starts.
	onInterval func(index int, doneTotal, done uint64, intended *hdr.Histogram)
}

// intervalFor is the length of the log's intervals for a measured window:
// a second, or less so the window has at least pointsPerWindow of them
// (whole milliseconds, the log's resolution; 10 ms at least).
func intervalFor(window time.Duration) time.Duration {
	iv := (window / pointsPerWindow).Truncate(time.Millisecond)
	return max(minInterval, min(maxInterval, iv))
}

func newHist() *hdr.Histogram { return hdr.New(histLowest, histHighest, histSigFigs) }

func newInterval() *interval {
	iv := &interval{}
	for s := range iv.hist {
		iv.hist[s] = newHist()
	}
	return iv
}

// newRecorder starts the writer, which writes the interval log to w; the
// log's time stamps are seconds from wallStart, the wall time of ws.
func newRecorder(sched Schedule, ws, we time.Duration, w io.Writer, wallStart time.Time) *recorder {
	r := &recorder{sched: sched, ws: ws, we: we, interval: intervalFor(we - ws), out: make(chan *interval, 16), finished: make(chan struct{})}
	for i := range r.totals {
		r.totals[i] = newHist()
	}
	// Intervals are recycled; allocate the usual working set (the current
	// one, the previous while its last ops finish, one spare) up front so
	// the window does not pay for them.
	for range 3 {
		r.free = append(r.free, newInterval())
	}
	go r.write(w, wallStart)
	return r
}

// record files one completed op that was due at due, started at start and
// finished at end, generator lag lag.
func (r *recorder) record(due, start, end, lag time.Duration, failed bool) {
	if due < r.ws {
		return // warm-up
	}
	k := int((due - r.ws) / r.interval)
	var complete []*interval
	r.mu.Lock()
	var iv *interval
	if k < r.base { // its interval was written already (maxOpenIntervals)
		iv = r.get(r.base)
		iv.lateOps++
		r.late++
	} else {
		iv = r.get(k)
		iv.done++
	}
	iv.add(seriesIntend, end-due)
	iv.add(seriesActual, end-start)
	iv.add(seriesLag, lag)
	if failed {
		iv.errors++
	}
	if f := r.open[0]; f.done >= f.expected {
		complete = r.popComplete()
	}
	if len(r.evicted) > 0 {
		complete = append(r.evicted, complete...)
		r.evicted = nil
	}
	r.mu.Unlock()
	for _, iv := range complete {
		r.out <- iv
	}
}

func (iv *interval) add(s int, d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0 // a simulated or broken clock; never seen with the monotonic clock
	}
	if v > histHighest {
		iv.overflow[s]++
		v = histHighest
	}
	iv.hist[s].RecordValue(v)
}

// get returns interval k, opening it and any before it. r.mu is held.
func (r *recorder) get(k int) *interval {
	for r.base+len(r.open) <= k {
		if len(r.open) >= maxOpenIntervals {
			r.evicted = append(r.evicted, r.open[0])
			r.open = r.open[1:]
			r.base++
			continue
		}
		i := r.base + len(r.open)
		from := firstDueAtOrAfter(r.sched, r.ws+time.Duration(i)*r.interval)
		to := firstDueAtOrAfter(r.sched, min(r.ws+time.Duration(i+1)*r.interval, r.we))
		var iv *interval
		if n := len(r.free); n > 0 {
			iv, r.free = r.free[n-1], r.free[:n-1]
		} else {
			iv = newInterval()
		}
		iv.index, iv.expected = i, to-from
		r.open = append(r.open, iv)
	}
	return r.open[k-r.base]
}

// popComplete takes the complete intervals off the front. r.mu is held.
func (r *recorder) popComplete() []*interval {
	var c []*interval
	for len(r.open) > 0 && r.open[0].done >= r.open[0].expected {
		c = append(c, r.open[0])
		r.open = r.open[1:]
		r.base++
	}
	return c
}

// close flushes the open intervals up to (not including) index upto, partial
// ones included, waits for the writer and returns its error.
func (r *recorder) close(upto int) error {
	r.mu.Lock()
	if upto > r.base+len(r.open) {
		r.get(upto - 1)
	}
	rest := append(r.evicted, r.open...)
	r.open, r.evicted = nil, nil
	r.mu.Unlock()
	for _, iv := range rest {
		r.out <- iv
	}
	close(r.out)
	<-r.finished
	return r.werr
}

func (r *recorder) write(w io.Writer, wallStart time.Time) {
	defer close(r.finished)
	bw := bufio.NewWriter(w)
	startMs := wallStart.UnixMilli()
	lw, err := newHlogWriter(bw, wallStart)
	check := func(err error) {
		if r.werr == nil {
			r.werr = err
		}
	}
	check(err)
	// Note: encoding an interval (zlib) allocates ~600 KB, which would add
	// megabytes per second of the driver's own garbage to the window's GC
	// figures. So complete intervals are kept in sparse form (a few KB each)
	// and encoded after the window; only past maxKeptBytes (runs of hours)
	// are the oldest encoded during the run.
	var kept []*hdr.PackedHistogram
	keptBytes := 0
	emit := func() {
		check(lw.OutputIntervalPackedHistogram(kept[0]))
		keptBytes -= kept[0].GetMemorySize()
		kept[0] = nil
		kept = kept[1:]
	}
	for iv := range r.out {
		end := min(r.ws+time.Duration(iv.index+1)*r.interval, r.we)
		for s, h := range iv.hist {
			p := hdr.NewPacked(histLowest, histHighest, histSigFigs)
			p.MergeFrom(h)
			p.SetTag(seriesTags[s])
			p.SetStartTimeMs(startMs + int64(time.Duration(iv.index)*r.interval/time.Millisecond))
			p.SetEndTimeMs(startMs + int64((end-r.ws)/time.Millisecond))
			kept = append(kept, p)
			keptBytes += p.GetMemorySize()
			r.totals[s].Merge(h)
			r.overflow[s] += iv.overflow[s]
		}
		for keptBytes > maxKeptBytes {
			emit()
		}
		r.done += iv.done + iv.lateOps
		r.errors += iv.errors
		r.nWritten++
		if r.onInterval != nil {
			r.onInterval(iv.index, r.done, iv.done, iv.hist[seriesIntend])
		}
		for s, h := range iv.hist {
			h.Reset()
			iv.overflow[s] = 0
		}
		iv.done, iv.lateOps, iv.errors = 0, 0, 0
		r.mu.Lock()
		r.free = append(r.free, iv)
		r.mu.Unlock()
	}
	for len(kept) > 0 {
		emit()
	}
	check(bw.Flush())
}

// newHlogWriter writes the interval log's header, for a log whose time
// stamps are seconds from wallStart (the window's start). It returns the
// writer even with the header's first write error.
func newHlogWriter(w io.Writer, wallStart time.Time) (*hdr.HistogramLogWriter, error) {
	lw := hdr.NewHistogramLogWriter(w)
	startMs := wallStart.UnixMilli()
	lw.SetBaseTime(startMs)
	secs := float64(startMs) / 1000
	iso := wallStart.UTC().Format(time.RFC3339Nano)
	// Same header as Java's HistogramLogWriter, with fractional seconds that
	// hdrhistogram-go's OutputStartTime would truncate.
	var first error
	for _, f := range []func() error{
		lw.OutputLogFormatVersion,
		func() error {
			return lw.OutputComment(fmt.Sprintf("[StartTime: %.3f (seconds since epoch), %s]", secs, iso))
		},
		func() error { return lw.OutputComment(fmt.Sprintf("[BaseTime: %.3f (seconds since epoch)]", secs)) },
		func() error {
			return lw.OutputComment(fmt.Sprintf("Values are nanoseconds, trackable %d..%d at %d significant digits; Interval_Max is in milliseconds.", histLowest, histHighest, histSigFigs))
		},
		func() error {
			return lw.OutputComment("Tags: intended = completion - intended start (coordinated-omission corrected), actual = completion - actual start, lag = how late the generator issued the op.")
		},
		func() error {
			return lw.OutputComment("Each interval holds the ops due in that stretch of the measured window.")
		},
		lw.OutputLegend,
	} {
		if err := f(); err != nil && first == nil {
			first = err
		}
	}
	return lw, first
}

// A Summary describes one latency series in nanoseconds.
type Summary struct {
	Count    int64   `json:"count"`
	MinNs    int64   `json:"min_ns"`
	MeanNs   float64 `json:"mean_ns"`
	P50Ns    int64   `json:"p50_ns"`
	P90Ns    int64   `json:"p90_ns"`
	P99Ns    int64   `json:"p99_ns"`
	P999Ns   int64   `json:"p999_ns"`
	P9999Ns  int64   `json:"p9999_ns"`
	MaxNs    int64   `json:"max_ns"`
	Overflow uint64  `json:"overflow"`
}

func summarize(h *hdr.Histogram, overflow uint64) Summary {
	if h.TotalCount() == 0 {
		return Summary{Overflow: overflow}
	}
	return Summary{
		Count:    h.TotalCount(),
		MinNs:    h.Min(),
		MeanNs:   h.Mean(),
		P50Ns:    h.ValueAtQuantile(50),
		P90Ns:    h.ValueAtQuantile(90),
		P99Ns:    h.ValueAtQuantile(99),
		P999Ns:   h.ValueAtQuantile(99.9),
		P9999Ns:  h.ValueAtQuantile(99.99),
		MaxNs:    h.Max(),
		Overflow: overflow,
	}
}
