package driver

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Limits on what Merge reads: the folders may come from other machines.
const (
	maxResultBytes = 16 << 20
	maxHlogBytes   = 1 << 30
)

// Merge combines the output folders of the generators of one run — each the
// -out of a process run with the same flags but its own -generator — into
// out, as one process playing the whole schedule would have written them:
//
//   - latency.hlog: each interval's histograms are the sum of the
//     generators' for that interval and tag. HdrHistograms of one geometry
//     add losslessly (bucket counts add), so the merged percentiles are
//     those of all the generators' ops together, not an average of theirs.
//   - result.json: counts, rates and overflows add; the summaries come from
//     the merged histograms; the status is the most serious of the
//     generators' (ok only when all are), and reasons and warnings name
//     their generator; op_report merges as Merge's mergeReports says;
//     runtime and contention figures add where they are amounts (CPU time,
//     allocations, GC cycles) and take the largest where they are peaks.
//   - bench.txt, from the merged result.
//
// The folders must hold generators 0 to N-1 of N exactly once, of the same
// workload, op, schedule and window. Profiles are not merged: each stays in
// its generator's folder.
func Merge(out string, dirs []string) (*Result, error) {
	if len(dirs) == 0 {
		return nil, errors.New("merge: no generator folders")
	}
	parts := make([]*Result, len(dirs))
	for i, d := range dirs {
		r, err := readGeneratorResult(d)
		if err != nil {
			return nil, err
		}
		parts[i] = r
	}
	if err := checkParts(dirs, parts); err != nil {
		return nil, err
	}
	// By generator index, so that reasons and intervals come in order.
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return parts[order[a]].Generator.Index < parts[order[b]].Generator.Index })

	m := mergeResults(dirs, parts, order)
	for i, d := range m.MergedFrom {
		// Folders inside out are named relative to it: the merged folder
		// can move with them.
		if rel, err := filepath.Rel(out, d); err == nil && filepath.IsLocal(rel) {
			m.MergedFrom[i] = rel
		}
	}
	logs := make([]*hlogData, len(dirs))
	for i, d := range dirs {
		l, err := readGeneratorHlog(d, time.Duration(parts[i].Histogram.IntervalNs))
		if err != nil {
			return nil, err
		}
		logs[i] = l
	}
	merged, totals, err := mergeHlogs(logs)
	if err != nil {
		return nil, err
	}
	var over [numSeries]uint64
	for _, p := range parts {
		over[seriesIntend] += p.Latency.Overflow
		over[seriesActual] += p.LatencyActual.Overflow
		over[seriesLag] += p.Lag.Overflow
	}
	m.Latency = summarize(totals[seriesIntend], over[seriesIntend])
	m.LatencyActual = summarize(totals[seriesActual], over[seriesActual])
	m.Lag = summarize(totals[seriesLag], over[seriesLag])
	m.Contention.LagShareP50 = lagShare(m.Lag.P50Ns, m.Latency.P50Ns)
	m.Contention.LagShareP99 = lagShare(m.Lag.P99Ns, m.Latency.P99Ns)

	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("merge: creating %s: %w", out, err)
	}
	start := logs[order[0]].start
	iv := time.Duration(m.Histogram.IntervalNs)
	if err := writeFileAtomic(filepath.Join(out, "latency.hlog"), func(w io.Writer) error { return writeHlog(w, start, iv, merged) }); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(filepath.Join(out, "bench.txt"), m.writeBench); err != nil {
		return nil, err
	}
	m.Files = []string{"bench.txt", "latency.hlog"}
	m.Finished = ""
	if err := m.writeJSON(out); err != nil {
		return nil, err
	}
	return m, nil
}

func readGeneratorResult(dir string) (*Result, error) {
	data, err := readBounded(filepath.Join(dir, "result.json"), maxResultBytes)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Result
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("merge: %s: %w", filepath.Join(dir, "result.json"), err)
	}
	if r.Format != FormatVersion {
		return nil, fmt.Errorf("merge: %s: format %d, want %d", filepath.Join(dir, "result.json"), r.Format, FormatVersion)
	}
	return &r, nil
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return data, nil
}

// checkParts says why the results cannot be merged, if they cannot.
func checkParts(dirs []string, parts []*Result) error {
	var errs []error
	n := len(parts)
	seen := make([]string, n)
	p0 := parts[0]
	for i, p := range parts {
		where := filepath.Join(dirs[i], "result.json")
		switch {
		case p.Generator == nil:
			errs = append(errs, fmt.Errorf("%s: not a generator's result (no -generators)", where))
			continue
		case p.Generator.Count != n:
			errs = append(errs, fmt.Errorf("%s: generator %d of %d, but %d folders given", where, p.Generator.Index, p.Generator.Count, n))
			continue
		case p.Generator.Index < 0 || p.Generator.Index >= n:
			errs = append(errs, fmt.Errorf("%s: generator index %d out of 0..%d", where, p.Generator.Index, n-1))
			continue
		case seen[p.Generator.Index] != "":
			errs = append(errs, fmt.Errorf("%s: generator %d again (also %s)", where, p.Generator.Index, seen[p.Generator.Index]))
			continue
		}
		seen[p.Generator.Index] = where
		if p.Name != p0.Name || p.Op != p0.Op || p.Schedule != p0.Schedule || p.WarmupNs != p0.WarmupNs || p.DurationNs != p0.DurationNs ||
			p.Generator.StartAt != p0.Generator.StartAt {
			errs = append(errs, fmt.Errorf("%s: %s/%s schedule %s, warm-up %v, window %v, start %q: not the run of %s (%s/%s %s, %v, %v, %q)",
				where, p.Name, p.Op, p.Schedule, time.Duration(p.WarmupNs), time.Duration(p.DurationNs), p.Generator.StartAt,
				filepath.Join(dirs[0], "result.json"), p0.Name, p0.Op, p0.Schedule, time.Duration(p0.WarmupNs), time.Duration(p0.DurationNs), p0.Generator.StartAt))
		}
		if !equalHistInfo(p.Histogram, p0.Histogram) {
			errs = append(errs, fmt.Errorf("%s: histogram %+v differs from %+v", where, p.Histogram, p0.Histogram))
		}
	}
	if h := p0.Histogram; h.LowestNs != histLowest || h.HighestNs != histHighest || h.SigFigs != histSigFigs || h.IntervalNs <= 0 {
		errs = append(errs, fmt.Errorf("histogram %+v: this merge reads %d..%d ns at %d digits", h, histLowest, histHighest, histSigFigs))
	}
	return errors.Join(errs...)
}

func equalHistInfo(a, b HistInfo) bool {
	return a.Unit == b.Unit && a.LowestNs == b.LowestNs && a.HighestNs == b.HighestNs && a.SigFigs == b.SigFigs &&
		a.IntervalNs == b.IntervalNs && strings.Join(a.Tags, ",") == strings.Join(b.Tags, ",")
}

// mergeResults adds up the parts' figures, all but the latency summaries.
func mergeResults(dirs []string, parts []*Result, order []int) *Result {
	p0 := parts[order[0]]
	m := *p0
	m.Generator = nil
	m.MergedFrom = make([]string, len(order))
	m.Status, m.Reason = StatusOK, ""
	m.Warnings = []string{}
	m.TargetRate, m.AchievedRate = 0, 0
	m.Scheduled, m.Issued, m.Completed, m.Errors, m.BacklogPeak, m.BacklogLimit = 0, 0, 0, 0, 0, 0
	m.Concurrency, m.ElapsedNs = 0, 0
	m.Runtime = RuntimeStats{PeakRSSReset: true}
	m.Contention = Contention{}
	m.LagDominated = nil
	reports := make([]any, 0, len(order))
	for k, i := range order {
		p := parts[i]
		// A figure one generator's lag dominated is left out of the
		// merged bench.txt too (its warning says by how much).
		for _, u := range p.LagDominated {
			if !slices.Contains(m.LagDominated, u) {
				m.LagDominated = append(m.LagDominated, u)
			}
		}
		m.MergedFrom[k] = dirs[i]
		m.TargetRate += p.TargetRate
		m.AchievedRate += p.AchievedRate
		m.Scheduled += p.Scheduled
		m.Issued += p.Issued
		m.Completed += p.Completed
		m.Errors += p.Errors
		m.BacklogPeak = max(m.BacklogPeak, p.BacklogPeak)
		m.BacklogLimit += p.BacklogLimit
		m.Concurrency += p.Concurrency
		m.ElapsedNs = max(m.ElapsedNs, p.ElapsedNs)
		m.Interrupted = m.Interrupted || p.Interrupted
		m.Started = minString(m.Started, p.Started)
		if p.Status != StatusOK {
			m.Status = moreSerious(m.Status, p.Status)
			m.Reason = joinReason(m.Reason, fmt.Sprintf("generator %d: %s", p.Generator.Index, p.Reason))
		}
		for _, w := range p.Warnings {
			m.warn("generator %d: %s", p.Generator.Index, w)
		}
		addRuntime(&m.Runtime, p.Runtime)
		addContention(&m.Contention, p.Contention)
		if p.OpReport != nil {
			reports = append(reports, p.OpReport)
		}
	}
	if len(reports) > 0 {
		m.OpReport = mergeReports(reports)
	}
	return &m
}

// moreSerious returns the more serious of two statuses: failed, then the
// invalid ones in invalidRank's order, then ok.
func moreSerious(a, b string) string {
	rank := func(s string) int {
		switch s {
		case StatusFailed:
			return 0
		case StatusOK:
			return 100
		}
		if r, ok := invalidRank[s]; ok {
			return r
		}
		return 50 // a status this driver does not know: not ok
	}
	if rank(b) < rank(a) {
		return b
	}
	return a
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func minString(a, b string) string {
	if a == "" || (b != "" && b < a) {
		return b
	}
	return a
}

// addRuntime adds a generator's runtime figures: amounts add, peaks and
// percentiles take the largest (a merged pause percentile is not known).
func addRuntime(m *RuntimeStats, p RuntimeStats) {
	m.GCCycles += p.GCCycles
	m.GCPauseTotalNs += p.GCPauseTotalNs
	m.AllocB += p.AllocB
	m.AllocObjects += p.AllocObjects
	m.Goroutines += p.Goroutines
	m.RunqueueWaitNs += p.RunqueueWaitNs
	m.GCPauseP50Ns = max(m.GCPauseP50Ns, p.GCPauseP50Ns)
	m.GCPauseP99Ns = max(m.GCPauseP99Ns, p.GCPauseP99Ns)
	m.GCPauseMaxNs = max(m.GCPauseMaxNs, p.GCPauseMaxNs)
	m.HeapGoalB = max(m.HeapGoalB, p.HeapGoalB)
	m.LiveHeapB = max(m.LiveHeapB, p.LiveHeapB)
	m.PeakRSSB = max(m.PeakRSSB, p.PeakRSSB)
	m.PeakRSSReset = m.PeakRSSReset && p.PeakRSSReset
	for len(m.GCPerSecond) < len(p.GCPerSecond) {
		m.GCPerSecond = append(m.GCPerSecond, 0)
	}
	for i, n := range p.GCPerSecond {
		m.GCPerSecond[i] += n
	}
}

// addContention adds a generator's contention figures: the processes' CPU
// and waits add; the machine's figures (steal, others, load) are each
// generator's view of the same machine, so the largest is kept.
func addContention(m *Contention, p Contention) {
	m.Measured = m.Measured || p.Measured
	m.WindowNs = max(m.WindowNs, p.WindowNs)
	m.CPUNs += p.CPUNs
	m.CPUWaitNs += p.CPUWaitNs
	if t := m.CPUNs + m.CPUWaitNs; t > 0 {
		m.Withheld = float64(m.CPUWaitNs) / float64(t)
	}
	m.Threads += p.Threads
	m.MaxThreadWaitNs = max(m.MaxThreadWaitNs, p.MaxThreadWaitNs)
	m.StealNs = max(m.StealNs, p.StealNs)
	m.StealShare = max(m.StealShare, p.StealShare)
	m.OthersCPUNs = max(m.OthersCPUNs, p.OthersCPUNs)
	m.OthersShare = max(m.OthersShare, p.OthersShare)
	m.CPUs = max(m.CPUs, p.CPUs)
	m.LoadStart = max(m.LoadStart, p.LoadStart)
	m.LoadEnd = max(m.LoadEnd, p.LoadEnd)
}

// mergeReports merges the generators' op reports as JSON values: numbers
// add, objects merge key by key, and any other value is kept when all
// generators agree on it (a list of the distinct values otherwise). For
// httpload's report that sums status codes, errors, connections dialed and
// the connection bound, and keeps the URL, method and client.
func mergeReports(parts []any) any {
	switch v := parts[0].(type) {
	case float64:
		sum := v
		for _, p := range parts[1:] {
			f, ok := p.(float64)
			if !ok {
				return distinct(parts)
			}
			sum += f
		}
		return sum
	case map[string]any:
		keys := map[string][]any{}
		var order []string
		for _, p := range parts {
			o, ok := p.(map[string]any)
			if !ok {
				return distinct(parts)
			}
			for k, x := range o {
				if _, seen := keys[k]; !seen {
					order = append(order, k)
				}
				keys[k] = append(keys[k], x)
			}
		}
		out := make(map[string]any, len(keys))
		for _, k := range order {
			out[k] = mergeReports(keys[k])
		}
		return out
	}
	return distinct(parts)
}

// distinct returns the one value all parts share, or the list of their
// distinct values.
func distinct(parts []any) any {
	var vals []any
	var keys []string
	for _, p := range parts {
		b, _ := json.Marshal(p)
		k := string(b)
		found := false
		for _, s := range keys {
			found = found || s == k
		}
		if !found {
			keys = append(keys, k)
			vals = append(vals, p)
		}
	}
	if len(vals) == 1 {
		return vals[0]
	}
	return vals
}

// hlogData is one generator's interval log: its start (the window's wall
// clock start) and, per interval index, the histograms by series.
type hlogData struct {
	start     time.Time
	intervals map[int]*[numSeries]*hdr.Histogram
	lengths   map[int]time.Duration
}

// readGeneratorHlog reads a latency.hlog as the driver writes it; interval
// time stamps are placed on the grid of iv.
//
// It reads the lines itself rather than through hdrhistogram-go's reader,
// so that it can check each histogram's geometry in its compressed header
// before decoding it: a histogram declared over 1 ns..MaxInt64 at 5 digits
// would allocate tens of megabytes before being refused.
func readGeneratorHlog(dir string, iv time.Duration) (l *hlogData, err error) {
	path := filepath.Join(dir, "latency.hlog")
	data, err := readBounded(path, maxHlogBytes)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	return parseGeneratorHlog(path, data, iv)
}

func parseGeneratorHlog(path string, data []byte, iv time.Duration) (l *hlogData, err error) {
	defer func() {
		// A corrupted payload must be an error, not a crash.
		if r := recover(); r != nil {
			l, err = nil, fmt.Errorf("merge: %s: corrupted histogram log: %v", path, r)
		}
	}()
	if len(data) > 0 && data[len(data)-1] != '\n' {
		return nil, fmt.Errorf("merge: %s: truncated histogram log (last line has no newline)", path)
	}
	base, err := hlogBaseTime(data)
	if err != nil {
		return nil, fmt.Errorf("merge: %s: %w", path, err)
	}
	l = &hlogData{start: base, intervals: map[int]*[numSeries]*hdr.Histogram{}, lengths: map[int]time.Duration{}}
	for n, line := range bytes.Split(data[:len(data)-1], []byte("\n")) {
		if len(line) == 0 || line[0] == '#' || bytes.HasPrefix(line, []byte(`"StartTimestamp"`)) {
			continue
		}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("merge: %s:%d: %s", path, n+1, fmt.Sprintf(format, args...))
		}
		rest, ok := bytes.CutPrefix(line, []byte("Tag="))
		if !ok {
			return nil, bad("an interval without a tag")
		}
		f := bytes.SplitN(rest, []byte(","), 5)
		if len(f) != 5 {
			return nil, bad("want Tag=T,start,length,max,histogram")
		}
		s := slices.Index(seriesTags[:], string(f[0]))
		if s < 0 {
			return nil, bad("unknown tag %q", clipBytes(f[0]))
		}
		var startSec, lenSec float64
		if _, err := fmt.Sscanf(string(f[1])+" "+string(f[2]), "%g %g", &startSec, &lenSec); err != nil ||
			!(startSec >= 0 && startSec < 1e7 && lenSec >= 0 && lenSec < 1e4) {
			return nil, bad("bad start or length %q, %q", clipBytes(f[1]), clipBytes(f[2]))
		}
		if err := checkEncodedGeometry(f[4]); err != nil {
			return nil, bad("%v", err)
		}
		h, err := hdr.Decode(f[4])
		if err != nil {
			return nil, bad("%v", err)
		}
		off := time.Duration(math.Round(startSec*1000)) * time.Millisecond
		k := int(math.Round(float64(off) / float64(iv)))
		e := l.intervals[k]
		if e == nil {
			e = new([numSeries]*hdr.Histogram)
			l.intervals[k] = e
		}
		if e[s] != nil {
			return nil, bad("a second %s interval at %v", seriesTags[s], off)
		}
		e[s] = h
		l.lengths[k] = time.Duration(math.Round(lenSec*1000)) * time.Millisecond
	}
	return l, nil
}

// checkEncodedGeometry reads the header of a base64, V2-compressed
// histogram and says whether it is the driver's geometry.
func checkEncodedGeometry(b64 []byte) error {
	// The first 8 bytes are a cookie and the compressed length; the
	// compressed stream starts with the 40-byte header. 64 base64
	// characters decode to 48 bytes, enough for the zlib stream's start.
	enc := b64[:min(len(b64), 4096)]
	enc = enc[:len(enc)/4*4]
	raw := make([]byte, base64.StdEncoding.DecodedLen(len(enc)))
	n, err := base64.StdEncoding.Decode(raw, enc)
	if err != nil || n < 8 {
		return fmt.Errorf("histogram not in base64 V2 encoding")
	}
	z, err := zlib.NewReader(bytes.NewReader(raw[8:n]))
	if err != nil {
		return fmt.Errorf("histogram payload: %v", err)
	}
	var h [40]byte
	if _, err := io.ReadFull(z, h[:]); err != nil {
		return fmt.Errorf("histogram header: %v", err)
	}
	digits := int32(binary.BigEndian.Uint32(h[12:16]))
	lowest := int64(binary.BigEndian.Uint64(h[16:24]))
	highest := int64(binary.BigEndian.Uint64(h[24:32]))
	if lowest != histLowest || highest != histHighest || digits != histSigFigs {
		return fmt.Errorf("a histogram of %d..%d at %d digits, not the driver's %d..%d at %d", lowest, highest, digits, histLowest, histHighest, histSigFigs)
	}
	return nil
}

func clipBytes(b []byte) []byte { return b[:min(len(b), 40)] }

// hlogBaseTime reads the BaseTime header comment the driver writes.
func hlogBaseTime(data []byte) (time.Time, error) {
	const prefix = "#[BaseTime: "
	for _, line := range bytes.SplitN(data, []byte("\n"), 16) {
		if rest, ok := bytes.CutPrefix(line, []byte(prefix)); ok {
			var secs float64
			if _, err := fmt.Sscanf(string(rest), "%f", &secs); err != nil || secs < 0 || secs > 1e11 {
				return time.Time{}, fmt.Errorf("bad BaseTime line %q", line)
			}
			return time.UnixMilli(int64(math.Round(secs * 1000))), nil
		}
	}
	return time.Time{}, errors.New("no BaseTime header")
}

// mergedInterval is one interval of the merged log.
type mergedInterval struct {
	index  int
	length time.Duration
	hist   [numSeries]*hdr.Histogram
}

// mergeHlogs adds the generators' intervals index by index, and returns
// them in order with the whole-window totals per series.
func mergeHlogs(logs []*hlogData) ([]mergedInterval, [numSeries]*hdr.Histogram, error) {
	var totals [numSeries]*hdr.Histogram
	for s := range totals {
		totals[s] = newHist()
	}
	byIndex := map[int]*mergedInterval{}
	for _, l := range logs {
		for k, e := range l.intervals {
			mi := byIndex[k]
			if mi == nil {
				mi = &mergedInterval{index: k, length: l.lengths[k]}
				for s := range mi.hist {
					mi.hist[s] = newHist()
				}
				byIndex[k] = mi
			}
			mi.length = max(mi.length, l.lengths[k])
			for s, h := range e {
				if h == nil {
					continue
				}
				if dropped := mi.hist[s].Merge(h); dropped > 0 {
					return nil, totals, fmt.Errorf("merge: %d values out of range", dropped)
				}
				totals[s].Merge(h)
			}
		}
	}
	out := make([]mergedInterval, 0, len(byIndex))
	for _, mi := range byIndex {
		out = append(out, *mi)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].index < out[b].index })
	return out, totals, nil
}

// writeHlog writes merged intervals, interval long, with the driver's
// header.
func writeHlog(w io.Writer, start time.Time, interval time.Duration, ivs []mergedInterval) error {
	bw := bufio.NewWriter(w)
	lw, err := newHlogWriter(bw, start)
	if err != nil {
		return err
	}
	startMs := start.UnixMilli()
	for _, iv := range ivs {
		from := time.Duration(iv.index) * interval
		for s, h := range iv.hist {
			h.SetTag(seriesTags[s])
			h.SetStartTimeMs(startMs + int64(from/time.Millisecond))
			h.SetEndTimeMs(startMs + int64((from+iv.length)/time.Millisecond))
			if err := lw.OutputIntervalHistogram(h); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}
