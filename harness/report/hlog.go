package report

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Latency series tags in latency.hlog (see workloads/driver).
const (
	TagIntended = "intended" // completion - intended start: what a caller waits
	TagActual   = "actual"   // completion - actual start: what a closed-loop tool reports
	TagLag      = "lag"      // how late the generator issued the op
)

// A Latency is the latency record of one or more runs of a cell, read from
// latency.hlog: per tag the whole-window histogram and the per-interval
// ones (one per second of the window, merged across runs by offset).
type Latency struct {
	Total     map[string]*hdrhistogram.Histogram
	Intervals map[string][]Interval
	Runs      int
}

// An Interval is one line of the interval log: the ops due in
// [Start, Start+Length) of the measured window.
type Interval struct {
	Start, Length time.Duration
	Hist          *hdrhistogram.Histogram
}

// ReadHlog reads an HdrHistogram interval log (format 1.3) as the driver
// writes it.
func ReadHlog(path string) (*Latency, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseHlog(path, data)
}

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
	r := hdrhistogram.NewHistogramLogReader(bytes.NewReader(data))
	l = &Latency{Total: map[string]*hdrhistogram.Histogram{}, Intervals: map[string][]Interval{}, Runs: 1}
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
		if first == math.MinInt64 {
			first = h.StartTimeMs()
		}
		start := time.Duration(h.StartTimeMs()-first) * time.Millisecond
		length := time.Duration(h.EndTimeMs()-h.StartTimeMs()) * time.Millisecond
		l.Intervals[tag] = append(l.Intervals[tag], Interval{Start: start, Length: length, Hist: h})
		if t := l.Total[tag]; t == nil {
			l.Total[tag] = h.Clone()
		} else if dropped := t.Merge(h); dropped > 0 {
			return nil, fmt.Errorf("%s: %d values out of the histogram's range", path, dropped)
		}
	}
	if len(l.Total) == 0 {
		return nil, fmt.Errorf("%s: no intervals", path)
	}
	return l, nil
}

// merge adds the runs of o to l: totals merged, intervals merged by their
// position in the window.
func (l *Latency) merge(o *Latency) {
	for tag, h := range o.Total {
		if t := l.Total[tag]; t == nil {
			l.Total[tag] = h.Clone()
		} else {
			t.Merge(h)
		}
	}
	for tag, ivs := range o.Intervals {
		mine := l.Intervals[tag]
		for i, iv := range ivs {
			if i < len(mine) {
				mine[i].Hist.Merge(iv.Hist)
			} else {
				mine = append(mine, Interval{Start: iv.Start, Length: iv.Length, Hist: iv.Hist.Clone()})
			}
		}
		l.Intervals[tag] = mine
	}
	l.Runs += o.Runs
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
