package driver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

var testEpoch = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

type simRun struct {
	stats runStats
	rec   *recorder
	hlog  []byte
}

// simulate runs op against plan on a fake clock with no warm-up.
func simulate(t *testing.T, plan *RatePlan, conc int, backlogLimit uint64, clk *fakeClock, op func(context.Context) error) simRun {
	t.Helper()
	var buf bytes.Buffer
	rec := newRecorder(plan, 0, plan.Len(), &buf, testEpoch)
	r := &runner{clk: clk, sched: plan, do: op, conc: conc, ws: 0, we: plan.Len(), backlogLimit: backlogLimit, rec: rec}
	st := r.run(context.Background())
	upto := int((plan.Len() + rec.interval - 1) / rec.interval)
	if st.stopKind != stopNone {
		upto = int(st.lastDue/rec.interval) + 1
	}
	if err := rec.close(upto); err != nil {
		t.Fatalf("writing interval log: %v", err)
	}
	return simRun{st, rec, buf.Bytes()}
}

func within(got, want, tol time.Duration) bool { return got >= want-tol && got <= want+tol }

// The classic coordinated-omission scenario: 1000 ops/s for 10 s, each op
// takes 1 ms, and the whole process freezes for 1 s at t=5 s. Ops due during
// the freeze waited for it; an open-loop generator charges them that wait.
func TestCoordinatedOmissionKnownAnswer(t *testing.T) {
	clk := &fakeClock{}
	plan, err := Constant(1000, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var froze atomic.Bool
	op := func(context.Context) error {
		if clk.Now() >= 5*time.Second && froze.CompareAndSwap(false, true) {
			// Freeze half-way through the op due at 5 s, an instant at which
			// nothing else is due, so the result does not depend on which
			// goroutine the runtime runs first.
			clk.Sleep(500 * time.Microsecond)
			clk.Freeze(time.Second)
			clk.Sleep(500 * time.Microsecond)
			return nil
		}
		clk.Sleep(time.Millisecond)
		return nil
	}
	// Enough workers that the ops due during the freeze all run when it ends.
	res := simulate(t, plan, 1100, 1e6, clk, op)

	intended := summarize(res.rec.totals[seriesIntend], 0)
	actual := summarize(res.rec.totals[seriesActual], 0)
	t.Logf("intended: %+v", intended)
	t.Logf("actual:   %+v", actual)
	const ms = time.Millisecond
	hdrTol := 2 * ms // 3 significant digits: ±0.1% of ~1 s, plus rounding up to bucket edges
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{
		// Ops due at 5 s + k ms (k = 1..999) start when the freeze ends, at
		// 6.0005 s, and finish 1 ms later: 1001.5 - k ms. The one caught in
		// the freeze took 1001 ms.
		{"intended P50", time.Duration(intended.P50Ns), ms},
		{"intended P99", time.Duration(intended.P99Ns), 901 * ms},
		{"intended P99.9", time.Duration(intended.P999Ns), 991 * ms},
		{"intended max", time.Duration(intended.MaxNs), 1001 * ms},
		// What a closed-loop tool would claim: only the op caught in the freeze was slow.
		{"actual P99", time.Duration(actual.P99Ns), ms},
		{"actual P99.9", time.Duration(actual.P999Ns), ms},
		{"actual max", time.Duration(actual.MaxNs), 1001 * ms},
	} {
		tol := hdrTol
		if c.want == ms {
			tol = 10 * time.Microsecond
		}
		if !within(c.got, c.want, tol) {
			t.Errorf("%s = %v; want %v ± %v", c.name, c.got, c.want, tol)
		}
	}
	if intended.Count != 10000 || actual.Count != 10000 || res.stats.issued != 10000 {
		t.Errorf("count = %d intended, %d actual, %d issued; want 10000", intended.Count, actual.Count, res.stats.issued)
	}
	if res.rec.nWritten != 20 {
		t.Errorf("%d intervals written; want 20 (10 s in intervals of %v)", res.rec.nWritten, res.rec.interval)
	}
	// The freeze stopped the generator too: ops it should have started
	// during the freeze (while workers were free) were issued late.
	lag := summarize(res.rec.totals[seriesLag], 0)
	if lag.Count != 10000 || time.Duration(lag.MaxNs) < 990*ms {
		t.Errorf("lag = %+v; want 10000 values, max ≈ 1 s", lag)
	}
}

// With one worker, an op that itself stalls for 1 s makes later ops queue
// behind it: latency counts the queueing, generator lag does not.
func TestQueueingIsLatencyNotLag(t *testing.T) {
	clk := &fakeClock{}
	plan, _ := Constant(1000, 10*time.Second)
	var stalled atomic.Bool
	op := func(context.Context) error {
		if clk.Now() >= 5*time.Second && stalled.CompareAndSwap(false, true) {
			clk.Sleep(time.Second)
		}
		return nil // no service time: the backlog drains at once
	}
	res := simulate(t, plan, 1, 1e6, clk, op)
	intended := summarize(res.rec.totals[seriesIntend], 0)
	lag := summarize(res.rec.totals[seriesLag], 0)
	if !within(time.Duration(intended.P99Ns), 900*time.Millisecond, 2*time.Millisecond) ||
		!within(time.Duration(intended.MaxNs), time.Second, 2*time.Millisecond) {
		t.Errorf("intended = %+v; want P99 ≈ 900ms, max ≈ 1s", intended)
	}
	if lag.MaxNs != 0 {
		t.Errorf("lag max = %v; want 0: queued ops were not issued late by the generator", time.Duration(lag.MaxNs))
	}
	if res.stats.backlogPeak < 999 || res.stats.backlogPeak > 1001 {
		t.Errorf("backlog max = %d; want ≈ 1000 ops queued behind the stall", res.stats.backlogPeak)
	}
}

// A lateClock oversleeps once, by d, the first time it is asked to wait
// for a time at or after at: a late timer or a descheduled generator.
type lateClock struct {
	*fakeClock
	at, d time.Duration
	done  atomic.Bool
}

func (c *lateClock) SleepUntil(t time.Duration, coarse bool, stop <-chan struct{}) (time.Duration, bool) {
	if t >= c.at && c.done.CompareAndSwap(false, true) {
		t += c.d
	}
	return c.fakeClock.SleepUntil(t, coarse, stop)
}

// When the generator itself stalls, every op that fell due meanwhile was
// issued late: that is lag, even though one worker ran them all in turn.
func TestGeneratorStallIsLag(t *testing.T) {
	clk := &lateClock{fakeClock: &fakeClock{}, at: 5 * time.Second, d: time.Second}
	plan, _ := Constant(1000, 10*time.Second)
	var buf bytes.Buffer
	rec := newRecorder(plan, 0, plan.Len(), &buf, testEpoch)
	r := &runner{clk: clk, sched: plan, do: func(context.Context) error { clk.Sleep(10 * time.Microsecond); return nil },
		conc: 1, ws: 0, we: plan.Len(), backlogLimit: 1e6, rec: rec}
	r.run(context.Background())
	if err := rec.close(10); err != nil {
		t.Fatal(err)
	}
	lag := summarize(rec.totals[seriesLag], 0)
	intended := summarize(rec.totals[seriesIntend], 0)
	if !within(time.Duration(lag.P99Ns), 900*time.Millisecond, 2*time.Millisecond) || !within(time.Duration(lag.MaxNs), time.Second, 2*time.Millisecond) {
		t.Errorf("lag = %+v; want P99 ≈ 900ms, max ≈ 1s: the ops due during the stall were all issued late", lag)
	}
	if !within(time.Duration(intended.P99Ns), 900*time.Millisecond, 2*time.Millisecond) {
		t.Errorf("intended P99 = %v; want ≈ 900ms", time.Duration(intended.P99Ns))
	}
}

func TestBacklogBoundStopsRun(t *testing.T) {
	clk := &fakeClock{}
	plan, _ := Constant(1000, 10*time.Second)
	op := func(context.Context) error { clk.Sleep(2 * time.Millisecond); return nil } // half the needed speed
	res := simulate(t, plan, 1, 500, clk, op)
	if res.stats.stopKind != stopBacklog {
		t.Fatalf("stop = %d %q; want the backlog bound to stop the run", res.stats.stopKind, res.stats.stopWhy)
	}
	// Backlog grows by 1 op every 2 ms: 500 ops after ~1 s, when ~500 ops ran.
	if res.stats.issued < 490 || res.stats.issued > 510 || res.rec.done != res.stats.issued {
		t.Errorf("issued %d, recorded %d; want ≈ 500 and equal", res.stats.issued, res.rec.done)
	}
}

func TestOverflowIsCountedNotDropped(t *testing.T) {
	plan, _ := Constant(10, time.Second)
	var buf bytes.Buffer
	rec := newRecorder(plan, 0, plan.Len(), &buf, testEpoch)
	for i := uint64(0); i < 10; i++ {
		due, _ := plan.Due(i)
		end := due + time.Millisecond
		if i == 3 {
			end = due + 2*time.Hour // beyond the trackable range
		}
		rec.record(due, due, end, 0, false)
	}
	if err := rec.close(1); err != nil {
		t.Fatal(err)
	}
	s := summarize(rec.totals[seriesIntend], rec.overflow[seriesIntend])
	if s.Count != 10 || s.Overflow != 1 || time.Duration(s.MaxNs) < time.Hour {
		t.Errorf("summary %+v; want 10 values, 1 overflow recorded at the 1 h ceiling", s)
	}
}

// An op that hangs must not keep every later interval in memory: at most
// maxOpenIntervals stay open, and the hung op, when it completes, is still
// in the totals and in the log (in a later interval), counted as late.
func TestHungOpBoundsOpenIntervals(t *testing.T) {
	const secs = 3 * maxOpenIntervals
	plan, _ := Constant(10, secs*time.Second)
	var buf bytes.Buffer
	rec := newRecorder(plan, 0, plan.Len(), &buf, testEpoch)
	const n = uint64(10 * secs)
	hungDue, _ := plan.Due(0)
	peak := 0
	for i := uint64(1); i < n; i++ {
		due, _ := plan.Due(i)
		rec.record(due, due, due+time.Millisecond, 0, false)
		peak = max(peak, len(rec.open)+len(rec.evicted))
	}
	rec.record(hungDue, hungDue, plan.Len(), 0, false) // completes at the very end
	if err := rec.close(secs); err != nil {
		t.Fatal(err)
	}
	if peak > maxOpenIntervals+1 {
		t.Errorf("%d intervals open at once behind a hung op; want at most %d", peak, maxOpenIntervals+1)
	}
	if rec.late != 1 || rec.done != n {
		t.Errorf("late %d, done %d; want 1 late op and all %d counted", rec.late, rec.done, n)
	}
	s := summarize(rec.totals[seriesIntend], 0)
	if uint64(s.Count) != n || time.Duration(s.MaxNs) < (secs-1)*time.Second {
		t.Errorf("summary %+v; want all %d ops, the hung one at ~%ds", s, n, secs)
	}
	if got := readHlog(t, bytes.NewReader(buf.Bytes()))["intended"]; got.TotalCount() != int64(n) {
		t.Errorf("the log holds %d ops; want %d", got.TotalCount(), n)
	}
}

func TestErrorsAndPanicsAreCounted(t *testing.T) {
	clk := &fakeClock{}
	plan, _ := Constant(100, time.Second)
	var n atomic.Int64
	op := func(context.Context) error {
		switch n.Add(1) {
		case 10, 20:
			return errors.New("boom")
		case 50:
			panic("kaboom")
		}
		return nil
	}
	res := simulate(t, plan, 1, 1000, clk, op)
	if res.stats.stopKind != stopPanic || !strings.Contains(res.stats.stopWhy, "kaboom") {
		t.Errorf("stop = %d %q; want a panic stop", res.stats.stopKind, res.stats.stopWhy)
	}
	if res.rec.errors != 3 || res.rec.done != 50 {
		t.Errorf("errors %d of %d; want 3 of 50", res.rec.errors, res.rec.done)
	}
}

func TestIntervalLogRoundTrip(t *testing.T) {
	clk := &fakeClock{}
	plan, _ := ParseSchedule("steps:500,1000,2000", 0, 3*time.Second)
	var i atomic.Int64
	op := func(context.Context) error {
		clk.Sleep(time.Duration(i.Add(1)%97) * 10 * time.Microsecond)
		return nil
	}
	res := simulate(t, plan, 4, 1e6, clk, op)
	got := readHlog(t, bytes.NewReader(res.hlog))
	for s, tag := range seriesTags {
		want := res.rec.totals[s]
		h := got[tag]
		if h == nil {
			t.Fatalf("no %q intervals in the log", tag)
		}
		if h.TotalCount() != want.TotalCount() || h.TotalCount() != 3500 {
			t.Errorf("%s: count %d read back, %d recorded; want 3500", tag, h.TotalCount(), want.TotalCount())
		}
		for _, q := range []float64{50, 90, 99, 99.9, 100} {
			if a, b := h.ValueAtQuantile(q), want.ValueAtQuantile(q); a != b {
				t.Errorf("%s P%g: %d read back, %d recorded", tag, q, a, b)
			}
		}
	}
	if n := strings.Count(string(res.hlog), "Tag=intended,"); n != 20 {
		t.Errorf("%d intended intervals; want 20 (a 3 s window in 150 ms intervals)", n)
	}
	for _, want := range []string{"#[Histogram log format version 1.3]", "#[StartTime: 1735787045.000 (seconds since epoch), 2025-01-02T03:04:05Z]", "#[BaseTime: 1735787045.000", "Tag=lag,2.850000,0.150000,"} {
		if !bytes.Contains(res.hlog, []byte(want)) {
			t.Errorf("log lacks %q:\n%s", want, res.hlog)
		}
	}
}

// readHlog merges every interval of each tag, as a report would.
func readHlog(t *testing.T, r io.Reader) map[string]*hdr.Histogram {
	t.Helper()
	lr := hdr.NewHistogramLogReader(r)
	out := map[string]*hdr.Histogram{}
	for {
		h, err := lr.NextIntervalHistogram()
		if err != nil {
			t.Fatalf("reading interval log: %v", err)
		}
		if h == nil {
			return out
		}
		if out[h.Tag()] == nil {
			out[h.Tag()] = newHist()
		}
		if dropped := out[h.Tag()].Merge(h); dropped != 0 {
			t.Fatalf("merge dropped %d values", dropped)
		}
	}
}

// Ops due during warm-up run but leave no trace in any figure.
func TestWarmupExcluded(t *testing.T) {
	clk := &fakeClock{}
	base, _ := Constant(100, 2*time.Second)
	plan := base.Prefix(time.Second)
	var ran atomic.Int64
	var buf bytes.Buffer
	rec := newRecorder(plan, time.Second, 3*time.Second, &buf, testEpoch)
	r := &runner{clk: clk, sched: plan, conc: 1, ws: time.Second, we: 3 * time.Second, backlogLimit: 1e6, rec: rec,
		do: func(context.Context) error {
			ran.Add(1)
			if clk.Now() == 0 {
				clk.Sleep(500 * time.Millisecond) // a slow first op, queueing the rest of warm-up
			}
			return nil
		}}
	st := r.run(context.Background())
	if err := rec.close(20); err != nil {
		t.Fatal(err)
	}
	s := summarize(rec.totals[seriesIntend], 0)
	if ran.Load() != 300 || st.issued != 200 || s.Count != 200 || rec.nWritten != 20 {
		t.Errorf("ran %d, issued %d, recorded %d in %d intervals; want 300 run, 200 issued and recorded in 20 (of 100 ms)", ran.Load(), st.issued, s.Count, rec.nWritten)
	}
	if s.MaxNs != 0 {
		t.Errorf("max latency %v; want 0: the slow op and the queue behind it were in warm-up", time.Duration(s.MaxNs))
	}
}

// A window is cut into at least 20 intervals of at most a second.
func TestIntervalFor(t *testing.T) {
	for _, tc := range []struct {
		window, want time.Duration
		why          string
	}{
		{1500 * time.Millisecond, 75 * time.Millisecond, "the tour's 1.5 s: 20 points"},
		{10 * time.Second, 500 * time.Millisecond, "10 s: 20 points"},
		{60 * time.Second, time.Second, "a minute: one a second (60 points)"},
		{100 * time.Millisecond, 10 * time.Millisecond, "very short: no less than 10 ms"},
		{1234 * time.Millisecond, 61 * time.Millisecond, "whole milliseconds, the log's resolution"},
	} {
		if got := intervalFor(tc.window); got != tc.want {
			t.Errorf("intervalFor(%v) = %v, want %v: %s", tc.window, got, tc.want, tc.why)
		}
	}
}

// The coarse pacer always sleeps coarsely, the fine one never; the auto
// one coarsely while its coarse sleeps keep time, and finely but for a
// try now and then when they end late.
func TestPacerChoosesSleep(t *testing.T) {
	plan, err := Constant(5000, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		pacer      string
		coarseLate time.Duration
		coarse     int64
	}{
		{PacerFine, 0, 0},
		{PacerCoarse, 0, 10000 - 1}, // every op's but the first, due at 0
		{PacerAuto, 0, 10000 - 1},
		// Late coarse sleeps: 1 try, 2000 fine, 1 try, 4000 fine, 1 try.
		{PacerAuto, time.Millisecond, 3},
	} {
		clk := &fakeClock{coarseLate: tt.coarseLate}
		var buf bytes.Buffer
		rec := newRecorder(plan, 0, plan.Len(), &buf, testEpoch)
		r := &runner{clk: clk, sched: plan, do: func(context.Context) error { return nil }, conc: 1, we: plan.Len(),
			backlogLimit: 1e6, pacer: tt.pacer, rec: rec}
		if st := r.run(context.Background()); st.issued != 10000 {
			t.Fatalf("%s: issued %d ops; want 10000", tt.pacer, st.issued)
		}
		rec.close(2)
		if got := clk.coarse.Load(); got != tt.coarse {
			t.Errorf("%s, coarse sleeps %v late: %d coarse sleeps; want %d", tt.pacer, tt.coarseLate, got, tt.coarse)
		}
	}
}
