package report

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfharness/harness/harness/results"
)

// Latency series tags in latency.hlog (see workloads/driver).
const (
	TagIntended = "intended" // completion - intended start: what a caller waits
	TagActual   = "actual"   // completion - actual start: what a closed-loop tool reports
	TagLag      = "lag"      // how late the generator issued the op
)

// A Latency is the latency record of one or more runs of a cell, read from
// latency.hlog: the whole-window histograms of the intended-start and
// actual-start series, and per interval (a second, or a twentieth of a shorter window) the
// P50 and P99 of each run. Interval histograms are not kept: a long window
// has many, and each takes a quarter megabyte.
type Latency struct {
	Total map[string]*hdrhistogram.Histogram // TagIntended and TagActual
	Runs  int
	runs  [][]Interval // per run, the intended-start intervals
}

// An Interval summarizes one line of the interval log: the ops due in
// [Start, Start+Length) of the measured window.
type Interval struct {
	Start, Length time.Duration
	Count         int64
	P50, P99      time.Duration
}

// ReadHlog reads an HdrHistogram interval log (format 1.3) as the driver
// writes it.
func ReadHlog(path string) (*Latency, error) {
	data, err := results.ReadFileIn(filepath.Dir(path), filepath.Base(path))
	if err != nil {
		return nil, err
	}
	return parseHlog(path, data)
}

var lagLine = []byte("\nTag=" + TagLag + ",")

func parseHlog(path string, data []byte) (l *Latency, err error) {
	defer func() {
		// The reader decodes compressed payloads from the file; a
		// corrupted one must be an error, not a crash of the report.
		if r := recover(); r != nil {
			l, err = nil, fmt.Errorf("%s: corrupted histogram log: %v", path, r)
		}
	}()
	if len(data) > 0 && data[len(data)-1] != '\n' {
		return nil, fmt.Errorf("%s: truncated histogram log (last line has no newline)", path)
	}
	// The report does not use the generator-lag series: drop its lines
	// before they are decoded.
	if bytes.Contains(data, lagLine) {
		var b bytes.Buffer
		for _, line := range bytes.SplitAfter(data, []byte("\n")) {
			if !bytes.HasPrefix(line, lagLine[1:]) {
				b.Write(line)
			}
		}
		data = b.Bytes()
	}
	r := hdrhistogram.NewHistogramLogReader(bytes.NewReader(data))
	l = &Latency{Total: map[string]*hdrhistogram.Histogram{}, Runs: 1}
	var ivs []Interval
	var first int64 = math.MinInt64
	for {
		h, err := r.NextIntervalHistogram()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if h == nil {
			break
		}
		tag := h.Tag()
		if tag == "" {
			tag = TagIntended
		}
		if tag != TagIntended && tag != TagActual {
			continue
		}
		if first == math.MinInt64 {
			first = h.StartTimeMs()
		}
		if tag == TagIntended {
			ivs = append(ivs, Interval{
				Start:  time.Duration(h.StartTimeMs()-first) * time.Millisecond,
				Length: time.Duration(h.EndTimeMs()-h.StartTimeMs()) * time.Millisecond,
				Count:  h.TotalCount(),
				P50:    time.Duration(h.ValueAtQuantile(50)),
				P99:    time.Duration(h.ValueAtQuantile(99)),
			})
		}
		if t := l.Total[tag]; t == nil {
			l.Total[tag] = h
		} else if dropped := t.Merge(h); dropped > 0 {
			return nil, fmt.Errorf("%s: %d values out of the histogram's range", path, dropped)
		}
	}
	if len(l.Total) == 0 {
		return nil, fmt.Errorf("%s: no intervals", path)
	}
	l.runs = [][]Interval{ivs}
	return l, nil
}

// eachInterval calls f with each interval histogram of a latency log, in
// the log's order, as parseHlog reads them.
func eachInterval(path string, data []byte, f func(*hdrhistogram.Histogram) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: corrupted histogram log: %v", path, r)
		}
	}()
	if len(data) > 0 && data[len(data)-1] != '\n' {
		return fmt.Errorf("%s: truncated histogram log (last line has no newline)", path)
	}
	r := hdrhistogram.NewHistogramLogReader(bytes.NewReader(data))
	for {
		h, err := r.NextIntervalHistogram()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if h == nil {
			return nil
		}
		if err := f(h); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
}

// onlyTag keeps the interval lines of one tag (and the header): the others
// need not be decoded.
func onlyTag(data []byte, tag string) []byte {
	var b bytes.Buffer
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("Tag=")) || bytes.HasPrefix(line, []byte("Tag="+tag+",")) {
			b.Write(line)
		}
	}
	return b.Bytes()
}

// merge adds the runs of o to l.
func (l *Latency) merge(o *Latency) {
	for tag, h := range o.Total {
		if t := l.Total[tag]; t == nil {
			l.Total[tag] = h
		} else {
			t.Merge(h)
		}
	}
	l.runs = append(l.runs, o.runs...)
	l.Runs += o.Runs
}

// Timeline returns, per interval of the window, the median over runs of
// each run's P50 and P99 (and the ops counted), so one run's hiccup shows
// without being averaged away by the others, and a steady shift shows too.
func (l *Latency) Timeline() []Interval {
	n := 0
	for _, r := range l.runs {
		n = max(n, len(r))
	}
	out := make([]Interval, 0, n)
	for i := 0; i < n; i++ {
		var p50, p99 []time.Duration
		iv := Interval{}
		for _, r := range l.runs {
			if i < len(r) && r[i].Count > 0 {
				iv.Start, iv.Length = r[i].Start, r[i].Length
				iv.Count += r[i].Count
				p50, p99 = append(p50, r[i].P50), append(p99, r[i].P99)
			}
		}
		if len(p50) == 0 {
			continue
		}
		iv.P50, iv.P99 = results.Median(p50), results.Median(p99)
		out = append(out, iv)
	}
	return out
}

// A SpectrumPoint is one point of a percentile spectrum: the latency at
// quantile Q (a fraction in [0,1)).
type SpectrumPoint struct {
	Q       float64
	Latency time.Duration
}

// Spectrum returns the percentile spectrum of h the way HdrHistogram
// prints it (5 ticks per half distance), up to the last quantile below 1,
// then the maximum at the quantile one count short of 1 (so it stays on a
// 1/(1-q) axis).
func Spectrum(h *hdrhistogram.Histogram) []SpectrumPoint {
	if h == nil || h.TotalCount() == 0 {
		return nil
	}
	var pts []SpectrumPoint
	n := float64(h.TotalCount())
	lastQ := 1 - 1/n
	for _, b := range h.CumulativeDistributionWithTicks(5) {
		q := b.Quantile / 100
		if q >= 1 || q > lastQ {
			break
		}
		pts = append(pts, SpectrumPoint{Q: q, Latency: time.Duration(b.ValueAt)})
	}
	pts = append(pts, SpectrumPoint{Q: lastQ, Latency: time.Duration(h.Max())})
	return pts
}

// Quantile returns the latency at quantile q (a fraction) of h.
func Quantile(h *hdrhistogram.Histogram, q float64) time.Duration {
	if h == nil {
		return 0
	}
	return time.Duration(h.ValueAtQuantile(q * 100))
}
