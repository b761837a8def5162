package driver

import (
	"context"
	"encoding/json"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// N strides of a schedule hold every op of it exactly once, at its due time.
func TestStrideCoversSchedule(t *testing.T) {
	constant, _ := Constant(1000, time.Second)
	steps, _ := Steps([]float64{300, 1000, 2500}, 3*time.Second)
	ramp, _ := Ramp(100, 5000, 2*time.Second)
	for _, p := range []*RatePlan{constant, steps.Prefix(500 * time.Millisecond), ramp} {
		var want []time.Duration
		for n := uint64(0); ; n++ {
			d, ok := p.Due(n)
			if !ok {
				break
			}
			want = append(want, d)
		}
		for _, n := range []int{1, 2, 3, 7} {
			var got []time.Duration
			for i := range n {
				s := Stride(p, i, n)
				prev := time.Duration(-1)
				for k := uint64(0); ; k++ {
					d, ok := s.Due(k)
					if !ok {
						break
					}
					if d < prev {
						t.Fatalf("%s, generator %d of %d: op %d due %v before op %d's %v", p, i, n, k, d, k-1, prev)
					}
					prev = d
					got = append(got, d)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s over %d generators: %d ops together; want the %d of the schedule, at the same times", p, n, len(got), len(want))
			}
		}
	}
	// A constant rate r over n generators: generator i runs at r/n, offset i/r.
	s := Stride(constant, 1, 4)
	if d, _ := s.Due(0); d != time.Millisecond {
		t.Errorf("generator 1 of 4 at 1000/s: first op at %v; want 1ms", d)
	}
	if d, _ := s.Due(1); d != 5*time.Millisecond {
		t.Errorf("generator 1 of 4 at 1000/s: second op at %v; want 5ms (250/s)", d)
	}
}

// Merging N generators' logs loses nothing: each merged interval and the
// totals hold exactly the histogram of all the generators' values together,
// so the merged percentiles are those of the union of the samples.
func TestMergeExact(t *testing.T) {
	const n, intervals = 3, 4
	iv := 50 * time.Millisecond
	rng := rand.New(rand.NewSource(1))
	// Op k goes to generator k mod n, as Stride deals them; latencies are
	// log-normal-ish with a tail, lag small.
	type sample struct {
		s, interval int
		v           int64
	}
	var all []sample
	for k := 0; k < 6000; k++ {
		v := int64(50_000 * (1 + rng.ExpFloat64()*rng.ExpFloat64()*4))
		all = append(all, sample{seriesIntend, k * intervals / 6000, v}, sample{seriesActual, k * intervals / 6000, v / 2},
			sample{seriesLag, k * intervals / 6000, int64(rng.Intn(20_000) + 1)})
	}
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	dirs := make([]string, n)
	union := [numSeries]*hdr.Histogram{newHist(), newHist(), newHist()}
	var unionIv [intervals][numSeries]*hdr.Histogram
	for i := range unionIv {
		for s := range unionIv[i] {
			unionIv[i][s] = newHist()
		}
	}
	for g := range n {
		var h [intervals][numSeries]*hdr.Histogram
		for i := range h {
			for s := range h[i] {
				h[i][s] = newHist()
			}
		}
		for k, x := range all {
			if (k/3)%n != g {
				continue
			}
			h[x.interval][x.s].RecordValue(x.v)
			union[x.s].RecordValue(x.v)
			unionIv[x.interval][x.s].RecordValue(x.v)
		}
		dirs[g] = writeGeneratorDir(t, g, n, start.Add(time.Duration(g)*time.Millisecond/3), iv, h[:])
	}
	out := filepath.Join(t.TempDir(), "merged")
	m, err := Merge(out, dirs)
	if err != nil {
		t.Fatal(err)
	}
	if m.Completed != 6000 || m.Latency.Count != 6000 || m.Scheduled != 6000 {
		t.Errorf("merged completed %d, latency count %d, scheduled %d; want 6000 each (the parts' sum)", m.Completed, m.Latency.Count, m.Scheduled)
	}
	for s, sum := range []Summary{m.Latency, m.LatencyActual, m.Lag} {
		want := summarize(union[s], 0)
		if sum != want {
			t.Errorf("%s: merged %+v; want the union's %+v", seriesTags[s], sum, want)
		}
	}
	if m.Status != StatusOK || len(m.MergedFrom) != n || m.Generator != nil {
		t.Errorf("status %s, merged from %v, generator %v; want ok, %d folders, none", m.Status, m.MergedFrom, m.Generator, n)
	}

	// The merged log, read back, holds the union interval by interval.
	l, err := readGeneratorHlog(out, iv)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.intervals) != intervals {
		t.Fatalf("merged log has %d intervals; want %d", len(l.intervals), intervals)
	}
	for i := range intervals {
		for s := range numSeries {
			got, want := l.intervals[i][s], unionIv[i][s]
			if got.TotalCount() != want.TotalCount() || !got.Equals(want) {
				t.Errorf("interval %d %s: %d values, P99 %d; want the union's %d, P99 %d", i, seriesTags[s],
					got.TotalCount(), got.ValueAtQuantile(99), want.TotalCount(), want.ValueAtQuantile(99))
			}
		}
	}
	var b struct {
		Latency Summary `json:"latency"`
	}
	data, _ := os.ReadFile(filepath.Join(out, "result.json"))
	if err := json.Unmarshal(data, &b); err != nil || b.Latency != m.Latency {
		t.Errorf("result.json latency %+v (%v); want %+v", b.Latency, err, m.Latency)
	}
	bench, _ := os.ReadFile(filepath.Join(out, "bench.txt"))
	if !strings.Contains(string(bench), "BenchmarkHttp/op=request-2\t6000\t") {
		t.Errorf("bench.txt:\n%s\nwant a line for 6000 ops", bench)
	}
}

// writeGeneratorDir writes the files generator g of n would: result.json
// and latency.hlog with the given interval histograms.
func writeGeneratorDir(t *testing.T, g, n int, start time.Time, iv time.Duration, h [][numSeries]*hdr.Histogram) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "gen")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	totals := [numSeries]*hdr.Histogram{newHist(), newHist(), newHist()}
	for i := range h {
		for s := range h[i] {
			totals[s].Merge(h[i][s])
		}
	}
	window := time.Duration(len(h)) * iv
	cfg := &Config{Name: "http", Op: "request", Duration: window, Warmup: 0, Concurrency: 8}
	r := newResult(cfg)
	r.GOMAXPROCS = 2
	r.Histogram.IntervalNs = int64(iv)
	r.Status, r.Schedule = StatusOK, "constant:1000"
	r.Generator = &GeneratorInfo{Index: g, Count: n, StartAt: "2026-01-02T03:04:05Z"}
	r.Completed = uint64(totals[seriesIntend].TotalCount())
	r.Scheduled, r.Issued = r.Completed, r.Completed
	r.ElapsedNs = int64(window)
	r.AchievedRate = float64(r.Completed) / window.Seconds()
	r.Latency, r.LatencyActual, r.Lag = summarize(totals[0], 0), summarize(totals[1], 0), summarize(totals[2], 0)
	r.OpReport = map[string]any{"status_codes": map[string]any{"200": float64(r.Completed)}, "url": "http://127.0.0.1/"}
	err := writeFileAtomic(filepath.Join(dir, "latency.hlog"), func(w io.Writer) error {
		lw, err := newHlogWriter(w, start)
		if err != nil {
			return err
		}
		for i := range h {
			for s, x := range h[i] {
				x.SetTag(seriesTags[s])
				x.SetStartTimeMs(start.UnixMilli() + int64(time.Duration(i)*iv/time.Millisecond))
				x.SetEndTimeMs(start.UnixMilli() + int64(time.Duration(i+1)*iv/time.Millisecond))
				if err := lw.OutputIntervalHistogram(x); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.writeJSON(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestMergeRefuses(t *testing.T) {
	one := func(g, n int) string {
		h := [][numSeries]*hdr.Histogram{{newHist(), newHist(), newHist()}}
		h[0][0].RecordValue(1000)
		return writeGeneratorDir(t, g, n, time.Unix(1e9, 0), 50*time.Millisecond, h)
	}
	for _, tt := range []struct {
		name string
		dirs []string
		want string
	}{
		{"generator 0 twice", []string{one(0, 2), one(0, 2)}, "generator 0 again"},
		{"one of two", []string{one(1, 2)}, "but 1 folders given"},
		{"a missing folder", []string{one(0, 2), filepath.Join(t.TempDir(), "none")}, "no such file"},
	} {
		_, err := Merge(filepath.Join(t.TempDir(), "out"), tt.dirs)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want an error mentioning %q", tt.name, err, tt.want)
		}
	}
}

// Two generators started at one instant play one schedule between them:
// the merged run has the single schedule's ops and rate.
func TestGeneratorsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two generators for a second")
	}
	at := time.Now().Add(300 * time.Millisecond)
	dirs := []string{filepath.Join(t.TempDir(), "g0"), filepath.Join(t.TempDir(), "g1")}
	errs := make(chan error, 2)
	for i, d := range dirs {
		go func() {
			cfg := Config{Name: "x", Op: "noop", Rate: 2000, Duration: time.Second, Warmup: 200 * time.Millisecond,
				Out: d, Generators: 2, Generator: i, StartAt: at, Concurrency: 2}
			_, err := Run(context.Background(), cfg, Func(func(context.Context) error { return nil }))
			errs <- err
		}()
	}
	for range dirs {
		if err := <-errs; err != nil {
			t.Logf("generator: %v", err) // an invalid run on a busy machine still merges
		}
	}
	m, err := Merge(filepath.Join(t.TempDir(), "merged"), dirs)
	if err != nil {
		t.Fatal(err)
	}
	if m.Scheduled != 2000 || m.Completed != 2000 || m.Latency.Count != 2000 {
		t.Errorf("merged: scheduled %d, completed %d, latency count %d; want the single schedule's 2000", m.Scheduled, m.Completed, m.Latency.Count)
	}
	if m.TargetRate != 2000 {
		t.Errorf("merged target rate %g; want 2000", m.TargetRate)
	}
}

// FuzzReadGeneratorHlog: a generator's interval log from elsewhere never
// crashes the merge; what it accepts is a set of the driver's histograms.
func FuzzReadGeneratorHlog(f *testing.F) {
	h := [][numSeries]*hdr.Histogram{{newHist(), newHist(), newHist()}}
	h[0][0].RecordValue(12345)
	dir := writeGeneratorDir(&testing.T{}, 0, 1, time.Unix(1.7e9, 0), 50*time.Millisecond, h)
	seed, _ := os.ReadFile(filepath.Join(dir, "latency.hlog"))
	f.Add(seed)
	f.Add([]byte("#[BaseTime: 1700000000.000 (seconds since epoch)]\nTag=lag,0.000,0.050,0.0,HISTFAAAABx4nJNpmSzMwMDAxMDEwMzAxMDAzMTAAAA\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := parseGeneratorHlog("latency.hlog", data, 50*time.Millisecond)
		if err != nil {
			return
		}
		for _, e := range l.intervals {
			for _, x := range e {
				if x != nil && (x.LowestTrackableValue() != histLowest || x.HighestTrackableValue() != histHighest) {
					t.Fatalf("accepted a histogram of %d..%d", x.LowestTrackableValue(), x.HighestTrackableValue())
				}
			}
		}
	})
}

// A figure one generator's lag dominated is left out of the merged run too.
func TestMergeLagDominated(t *testing.T) {
	parts := []*Result{
		{Status: StatusOK, Generator: &GeneratorInfo{Index: 0, Count: 2}, LagDominated: []string{"p99-ns", "max-ns"}},
		{Status: StatusOK, Generator: &GeneratorInfo{Index: 1, Count: 2}, LagDominated: []string{"ns/op", "p99-ns"}},
		{Status: StatusOK, Generator: &GeneratorInfo{Index: 2, Count: 2}},
	}
	m := mergeResults([]string{"a", "b", "c"}, parts, []int{0, 1, 2})
	if want := []string{"p99-ns", "max-ns", "ns/op"}; !slices.Equal(m.LagDominated, want) {
		t.Errorf("merged lag_dominated %q, want %q", m.LagDominated, want)
	}
}
