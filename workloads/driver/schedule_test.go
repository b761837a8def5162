package driver

import (
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, spec string, rate float64, d time.Duration) *RatePlan {
	t.Helper()
	p, err := ParseSchedule(spec, rate, d)
	if err != nil {
		t.Fatalf("ParseSchedule(%q): %v", spec, err)
	}
	return p
}

func TestPlanDue(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		spec   string
		rate   float64
		d      time.Duration
		n      uint64
		want   time.Duration
		wantOK bool
		why    string
	}{
		{"", 1000, time.Second, 0, 0, true, "op 0 is due at the start"},
		{"", 1000, time.Second, 1, ms, true, "1000 op/s => 1ms apart"},
		{"", 1000, time.Second, 999, 999 * ms, true, "last op of 1s at 1000 op/s is due at 999ms"},
		{"", 1000, time.Second, 1000, 0, false, "1s at 1000 op/s holds exactly 1000 ops"},
		{"", 3, time.Second, 2, 666666667, true, "3 op/s => op 2 at 2/3 s, rounded to the nearest ns"},
		{"", 3, time.Second, 3, 0, false, "3 op/s for 1s holds 3 ops"},
		{"", 2.5, time.Second, 2, 800 * ms, true, "2.5 op/s => 400ms apart, 3 ops start in [0,1s)"},
		{"constant:10", 99, time.Second, 9, 900 * ms, true, "constant:R overrides -rate"},
		{"steps:1000,2000", 0, 2 * time.Second, 999, 999 * ms, true, "first step: 1000 op/s for 1s"},
		{"steps:1000,2000", 0, 2 * time.Second, 1000, time.Second, true, "second step starts with an op at its start"},
		{"steps:1000,2000", 0, 2 * time.Second, 1001, time.Second + 500*time.Microsecond, true, "2000 op/s => 500µs apart"},
		{"steps:1000,2000", 0, 2 * time.Second, 2999, 2*time.Second - 500*time.Microsecond, true, "1000 + 2000 ops in 2s, last at 1.9995s"},
		{"steps:1000,2000", 0, 2 * time.Second, 3000, 0, false, "past the last step"},
		{"ramp:0-2000", 0, time.Second, 1, 31622777, true, "rate 2000t => area 1000t² reaches 1 at t=sqrt(1/1000)s"},
		{"ramp:0-2000", 0, time.Second, 500, 707106781, true, "half the ops of a ramp from 0 are due at 1/sqrt(2) of it"},
		{"ramp:1000-1000", 0, time.Second, 500, 500 * ms, true, "a flat ramp is a constant rate"},
		{"ramp:2000-0", 0, time.Second, 1999, 0, false, "ramp 2000→0 over 1s holds 1000 ops"},
		{"ramp:1000-3000", 0, time.Second, 1999, 999666630, true, "area 1000t+1000t² reaches 1999 at t=(-1+sqrt(8.996))/2 s"},
	}
	for _, tt := range tests {
		p := mustParse(t, tt.spec, tt.rate, tt.d)
		got, ok := p.Due(tt.n)
		if ok != tt.wantOK || (ok && got != tt.want) {
			t.Errorf("%q rate %g d %v: Due(%d) = %v, %v; want %v, %v (%s)", tt.spec, tt.rate, tt.d, tt.n, got, ok, tt.want, tt.wantOK, tt.why)
		}
	}
}

// Offsets must be exact for exact rates, or a plan of N ops at 1e9 ops/s
// over N ns would hold N+1.
func TestPlanExactAtHighRates(t *testing.T) {
	for _, n := range []uint64{1, 999, 8285438, 123456789} {
		p, err := Constant(1e9, time.Duration(n))
		if err != nil {
			t.Fatal(err)
		}
		if p.Ops() != n {
			t.Errorf("1e9 ops/s for %d ns: %d ops; want %d", n, p.Ops(), n)
		}
		if d, _ := p.Due(n - 1); d != time.Duration(n-1) {
			t.Errorf("1e9 ops/s: Due(%d) = %d ns", n-1, d)
		}
	}
}

func TestPlanCounts(t *testing.T) {
	tests := []struct {
		spec string
		rate float64
		d    time.Duration
		want uint64
		why  string
	}{
		{"", 100000, 5 * time.Second, 500000, "100k op/s for 5s"},
		{"", 0.5, 10 * time.Second, 5, "one op every 2s"},
		{"", 0.3, time.Second, 1, "a slow rate still starts with an op"},
		{"steps:1000,2000,4000", 0, 3 * time.Second, 7000, "each step lasts duration/3"},
		{"ramp:1000-10000", 0, 10 * time.Second, 55000, "area of the ramp: (1000+10000)/2 · 10s"},
		{"ramp:0-1000", 0, 2 * time.Second, 1000, "ramp from 0: (0+1000)/2 · 2s"},
	}
	for _, tt := range tests {
		p := mustParse(t, tt.spec, tt.rate, tt.d)
		if got := p.Ops(); got != tt.want {
			t.Errorf("%q rate %g for %v: %d ops; want %d (%s)", tt.spec, tt.rate, tt.d, got, tt.want, tt.why)
		}
		checkMonotone(t, p)
	}
}

func checkMonotone(t *testing.T, p *RatePlan) {
	t.Helper()
	var prev time.Duration
	n := p.Ops()
	step := n/5000 + 1
	for i := uint64(0); i < n; i += step {
		d, ok := p.Due(i)
		if !ok || d < prev || d >= p.Len() {
			t.Fatalf("%v: Due(%d) = %v, %v after %v (len %v): want non-decreasing, within the plan", p, i, d, ok, prev, p.Len())
		}
		prev = d
	}
	if _, ok := p.Due(n); ok {
		t.Fatalf("%v: Due(Ops()) ok", p)
	}
}

func TestPlanPrefix(t *testing.T) {
	p := mustParse(t, "steps:100,200", 0, 2*time.Second).Prefix(time.Second)
	for _, tt := range []struct {
		n    uint64
		want time.Duration
		why  string
	}{
		{99, 990 * time.Millisecond, "warm-up runs at the first step's rate"},
		{100, time.Second, "the measured plan starts right after warm-up"},
		{200, 2 * time.Second, "second step after 100 warm-up + 100 first-step ops"},
	} {
		if got, _ := p.Due(tt.n); got != tt.want {
			t.Errorf("Due(%d) = %v; want %v (%s)", tt.n, got, tt.want, tt.why)
		}
	}
	if got := firstDueAtOrAfter(p, time.Second); got != 100 {
		t.Errorf("firstDueAtOrAfter(1s) = %d; want 100", got)
	}
}

func TestFirstDueAtOrAfter(t *testing.T) {
	p := mustParse(t, "", 1000, 10*time.Second)
	for _, tt := range []struct {
		t    time.Duration
		want uint64
	}{
		{0, 0}, {1, 1}, {time.Millisecond, 1}, {time.Millisecond + 1, 2}, {5 * time.Second, 5000}, {time.Hour, 10000},
	} {
		if got := firstDueAtOrAfter(p, tt.t); got != tt.want {
			t.Errorf("firstDueAtOrAfter(%v) = %d; want %d", tt.t, got, tt.want)
		}
	}
}

func TestParseScheduleErrors(t *testing.T) {
	for _, tt := range []struct {
		spec string
		rate float64
		want string
	}{
		{"", 0, "not both 0"},
		{"", -1, "rates must be"},
		{"steps:", 0, "bad rate"},
		{"steps:1,x", 0, `bad rate "x"`},
		{"ramp:100", 0, "want ramp:FROM-TO"},
		{"ramp:0-0", 0, "not both 0"},
		{"sine:5", 0, "unknown kind"},
		{"constant:NaN", 0, "bad rate"},
	} {
		_, err := ParseSchedule(tt.spec, tt.rate, time.Second)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSchedule(%q, %g): err = %v; want it to mention %q", tt.spec, tt.rate, err, tt.want)
		}
	}
}

func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"", "constant", "constant:5", "steps:1000,2000,4000", "ramp:1000-10000", "ramp:1e-3-5", "ramp:5-0"} {
		f.Add(s, 100.0, int64(time.Second))
	}
	f.Fuzz(func(t *testing.T, spec string, rate float64, d int64) {
		dur := time.Duration(d)
		if dur > time.Hour {
			dur = time.Hour
		}
		p, err := ParseSchedule(spec, rate, dur)
		if err != nil {
			return
		}
		if p.Ops() > 1e7 {
			return // valid, just too long to walk here
		}
		checkMonotone(t, p)
		q, err := ParseSchedule(p.String(), rate, dur)
		if err != nil || q.Ops() != p.Ops() {
			t.Fatalf("%q: String() = %q does not parse back to the same plan: %v", spec, p, err)
		}
	})
}
