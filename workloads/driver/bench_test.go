package driver

import (
	"context"
	"io"
	"math"
	"strconv"
	"testing"
	"time"
)

// BenchmarkDispatch measures the driver's cost per op with nothing to wait
// for: every op is already due, so a worker goes straight from one op to the
// next (take ticket, compute due time, backlog check, run a no-op, read the
// clock, record three latencies). This bounds the highest rate one worker
// can sustain.
func BenchmarkDispatch(b *testing.B) {
	for _, conc := range []int{1, 4} {
		b.Run("concurrency="+strconv.Itoa(conc), func(b *testing.B) {
			plan, err := Constant(1e9, time.Duration(b.N)) // b.N ops, all due within b.N ns
			if err != nil {
				b.Fatal(err)
			}
			rec := newRecorder(plan, 0, plan.Len(), io.Discard, time.Now())
			r := &runner{clk: newRealClock(DefaultSpin), sched: plan, do: func(context.Context) error { return nil },
				conc: conc, ws: 0, we: plan.Len(), backlogLimit: math.MaxUint32, rec: rec}
			b.ResetTimer()
			st := r.run(context.Background())
			b.StopTimer()
			rec.close(1)
			if st.issued != uint64(b.N) {
				b.Fatalf("issued %d of %d", st.issued, b.N)
			}
		})
	}
}

// BenchmarkLatencyFloor is the latency a no-op shows at a rate the driver
// easily sustains: the floor under any op's figures.
func BenchmarkLatencyFloor(b *testing.B) {
	const rate = 20000
	plan, err := Constant(rate, time.Duration(b.N)*time.Second/rate)
	if err != nil {
		b.Fatal(err)
	}
	rec := newRecorder(plan, 0, plan.Len(), io.Discard, time.Now())
	r := &runner{clk: newRealClock(DefaultSpin), sched: plan, do: func(context.Context) error { return nil },
		conc: 1, ws: 0, we: plan.Len(), backlogLimit: math.MaxUint32, rec: rec}
	b.ResetTimer()
	r.run(context.Background())
	b.StopTimer()
	rec.close(int(plan.Len()/rec.interval) + 1)
	s := summarize(rec.totals[seriesIntend], 0)
	lag := summarize(rec.totals[seriesLag], 0)
	b.ReportMetric(float64(s.P50Ns), "p50-ns")
	b.ReportMetric(float64(s.P99Ns), "p99-ns")
	b.ReportMetric(float64(lag.P99Ns), "lag-p99-ns")
}

func BenchmarkRecord(b *testing.B) {
	plan, _ := Constant(1e9, time.Duration(b.N)+1)
	rec := newRecorder(plan, 0, plan.Len(), io.Discard, time.Now())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := time.Duration(i)
		rec.record(d, d+10, d+100, 5, false)
	}
	b.StopTimer()
	rec.close(1)
}

func BenchmarkPlanDue(b *testing.B) {
	for _, spec := range []string{"constant", "steps:1000,2000,4000", "ramp:1000-10000"} {
		plan, _ := ParseSchedule(spec, 1000, time.Hour)
		b.Run(spec, func(b *testing.B) {
			var sink time.Duration
			for i := 0; i < b.N; i++ {
				d, _ := plan.Due(uint64(i) % plan.Ops())
				sink += d
			}
			_ = sink
		})
	}
}
