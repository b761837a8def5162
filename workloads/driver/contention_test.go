package driver

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	stat := []byte("cpu  311703 740 149188 751899 802 10 2938 55 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\ncpu1 1 2 3 4 5 6 7 8 0 0\nintr 1 2 3\nctxt 99\n")
	busy, steal, cpus, ok := parseProcStat(stat)
	// user+nice+system+irq+softirq = 311703+740+149188+10+2938 ticks of 10 ms
	if !ok || cpus != 2 || busy != 464579*int64(10*time.Millisecond) || steal != 55*int64(10*time.Millisecond) {
		t.Errorf("busy %d steal %d cpus %d ok %v", busy, steal, cpus, ok)
	}
	for _, bad := range []string{"", "cpu 1 2 3\ncpu0 1 2 3 4 5 6 7 8\n", "cpu a b c d e f g h\ncpu0 1\n", "cpu 1 2 3 4 5 6 7 8\n"} {
		if _, _, _, ok := parseProcStat([]byte(bad)); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestContentionBetween(t *testing.T) {
	t0 := time.Now()
	ms := int64(time.Millisecond)
	a := hostSample{ok: true, at: t0, cpus: 2, load: 0.5, busy: 1000 * ms, steal: 10 * ms,
		threads: map[string][2]int64{"1": {100 * ms, 5 * ms}, "2": {50 * ms, 0}, "3": {7 * ms, 7 * ms}}}
	b := hostSample{ok: true, at: t0.Add(time.Second), cpus: 2, load: 1.5, busy: 2600 * ms, steal: 50 * ms,
		// thread 3 exited (its share is lost); thread 4 began in the window
		threads: map[string][2]int64{"1": {700 * ms, 305 * ms}, "2": {150 * ms, 100 * ms}, "4": {100 * ms, 20 * ms}}}
	c := contentionBetween(a, b)
	// run 600+100+100 = 800 ms, wait 300+100+20 = 420 ms
	if !c.Measured || c.CPUNs != 800*ms || c.CPUWaitNs != 420*ms || c.MaxThreadWaitNs != 300*ms || c.Threads != 3 {
		t.Errorf("threads: %+v", c)
	}
	if math.Abs(c.Withheld-420.0/1220) > 1e-12 {
		t.Errorf("withheld %g, want 420/1220", c.Withheld)
	}
	// machine busy 1600 ms, of which 800 ms this process: others 800 ms of 2 s of CPUs
	if c.OthersCPUNs != 800*ms || math.Abs(c.OthersShare-0.4) > 1e-12 || c.StealNs != 40*ms || math.Abs(c.StealShare-0.02) > 1e-12 {
		t.Errorf("machine: %+v", c)
	}
	if c.LoadStart != 0.5 || c.LoadEnd != 1.5 || c.CPUs != 2 || c.WindowNs != int64(time.Second) {
		t.Errorf("load, cpus, window: %+v", c)
	}
	if c := contentionBetween(hostSample{}, b); c.Measured {
		t.Errorf("an unreadable start is not a measurement: %+v", c)
	}
}

func TestLagged(t *testing.T) {
	ms, us := int64(time.Millisecond), int64(time.Microsecond)
	for _, tc := range []struct {
		why                        string
		lag50, lat50, lag99, lat99 int64
		maxLagP99                  time.Duration
		want                       string // in the reason; "" for not lagged
	}{
		{"the coordinated-omission known answer: 2.1 ms of lag in a 903 ms P99 is 0.23%", 20 * us, 1 * ms, 2100 * us, 903 * ms, 0, ""},
		{"1.2 ms of lag in an 8 ms P99 is 15%, but only the tail: lagTail's", 50 * us, 2 * ms, 1200 * us, 8 * ms, 0, ""},
		{"300 µs of lag in a 400 µs P50, above the floor", 300 * us, 400 * us, 300 * us, 1 * ms, 0, "generator lag P50 300µs is 75% of latency P50 400µs (max_lag_share 10%)"},
		{"150 µs of lag in a 300 µs P50: under the 200 µs floor", 150 * us, 300 * us, 150 * us, 300 * us, 0, ""},
		{"the median lagged: 500 µs in a 2 ms P50", 500 * us, 2 * ms, 600 * us, 50 * ms, 0, "generator lag P50 500µs is 25% of latency P50 2ms"},
		{"an explicit max_lag_p99 replaces the share: 2 ms < 1 s", 20 * us, 1 * ms, 2 * ms, 3 * ms, time.Second, ""},
		{"an explicit max_lag_p99 of 1 ms flags 2.1 ms whatever the share", 20 * us, 1 * ms, 2100 * us, 903 * ms, time.Millisecond, "generator lag P99 2.1ms > max_lag_p99 1ms"},
	} {
		res := &Result{Lag: Summary{P50Ns: tc.lag50, P99Ns: tc.lag99}, Latency: Summary{P50Ns: tc.lat50, P99Ns: tc.lat99}}
		res.Contention.LagShareP50, res.Contention.LagShareP99 = lagShare(tc.lag50, tc.lat50), lagShare(tc.lag99, tc.lat99)
		got := lagged(res, &Config{MaxLagShare: DefaultMaxLagShare, MaxLagP99: tc.maxLagP99})
		if (got == "") != (tc.want == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.why, got, tc.want)
		}
	}
}

func TestLagTail(t *testing.T) {
	ms, us := int64(time.Millisecond), int64(time.Microsecond)
	// The json decode op at 1000/s on a 2-vCPU guest: the median is the
	// op's, the tail the host's stalls of the pacer.
	decode := &Result{
		Latency: Summary{MeanNs: 161e3, P50Ns: 133 * us, P90Ns: 229 * us, P99Ns: 777 * us, P999Ns: 2009 * us, MaxNs: 2615 * us},
		Lag:     Summary{MeanNs: 15.5e3, P50Ns: 15, P90Ns: 28, P99Ns: 516 * us, P999Ns: 1625 * us, MaxNs: 2349 * us},
	}
	for _, tc := range []struct {
		why       string
		res       *Result
		maxLagP99 time.Duration
		want      []string
		warn      string
	}{
		{"the tail past P99 is lag; the mean's 15.5 µs is under the floor", decode, 0, []string{"p99-ns", "p99.9-ns", "max-ns"},
			"P99 (lag 516µs, 66.4% of 777µs), P99.9 (lag 1.625ms, 80.9% of 2.009ms), max (lag 2.349ms, 89.8% of 2.615ms)"},
		{"an explicit max_lag_p99 judges the lag itself", decode, time.Second, nil, ""},
		{"the coordinated-omission known answer: 2.1 ms of lag in a 903 ms P99", &Result{
			Latency: Summary{MeanNs: 60e6, P50Ns: 1 * ms, P90Ns: 500 * ms, P99Ns: 903 * ms, P999Ns: 1001 * ms, MaxNs: 1002 * ms},
			Lag:     Summary{MeanNs: 30e3, P50Ns: 20 * us, P90Ns: 100 * us, P99Ns: 2100 * us, P999Ns: 3 * ms, MaxNs: 4 * ms},
		}, 0, nil, ""},
		{"a lagged mean: 1 ms of mean lag in a 2 ms mean", &Result{
			Latency: Summary{MeanNs: 2e6, P50Ns: 1 * ms, P90Ns: 5 * ms, P99Ns: 9 * ms, P999Ns: 10 * ms, MaxNs: 10 * ms},
			Lag:     Summary{MeanNs: 1e6, P50Ns: 50 * us, P90Ns: 400 * us, P99Ns: 500 * us, P999Ns: 600 * us, MaxNs: 700 * us},
		}, 0, []string{"ns/op"}, "mean (lag 1ms, 50% of 2ms)"},
	} {
		got, warn := lagTail(tc.res, &Config{MaxLagShare: DefaultMaxLagShare, MaxLagP99: tc.maxLagP99})
		if !slices.Equal(got, tc.want) || !strings.Contains(warn, tc.warn) || (warn == "") != (tc.warn == "") {
			t.Errorf("%s: %q %q, want %q and a warning with %q", tc.why, got, warn, tc.want, tc.warn)
		}
	}
}

func TestContended(t *testing.T) {
	cfg := &Config{MaxCPUWithheld: 0.75, MaxSteal: DefaultMaxSteal}
	if got := contended(Contention{Measured: true, Withheld: 0.99}, &Config{MaxCPUWithheld: DefaultMaxCPUWithheld, MaxSteal: DefaultMaxSteal}); got != "" {
		t.Errorf("no limit on the CPU withheld by default: %q", got)
	}
	for _, tc := range []struct {
		why  string
		c    Contention
		want string
	}{
		{"a quiet machine", Contention{Measured: true, Withheld: 0.02, CPUs: 2}, ""},
		{"two busy loops on two CPUs beside a busy op: a third withheld", Contention{Measured: true, Withheld: 0.34, CPUs: 2}, ""},
		{"85% withheld", Contention{Measured: true, Withheld: 0.85, CPUWaitNs: 8.5e9, CPUNs: 1.5e9, LoadStart: 17.6, LoadEnd: 17, CPUs: 2},
			"the machine withheld 85% of the CPU time the process's threads asked for (they waited 8.5s, ran 1.5s; max_cpu_withheld 75%; load average 17.60 → 17.00 on 2 CPUs)"},
		{"20% stolen", Contention{Measured: true, StealShare: 0.2, CPUs: 2}, "the hypervisor stole 20% of the CPUs' time (max_steal 10%)"},
		{"not measured: never contended", Contention{Withheld: 1, StealShare: 1}, ""},
	} {
		if got := contended(tc.c, cfg); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.why, got, tc.want)
		}
	}
}

// The most serious cause names the status; every cause is in the reason.
func TestInvalidStatusOrder(t *testing.T) {
	r := &Result{Status: StatusOK}
	r.invalid(StatusGeneratorLagged, "lag")
	r.invalid(StatusHostContended, "host")
	if r.Status != StatusHostContended {
		t.Errorf("status %s, want host-contended over generator-lagged", r.Status)
	}
	r.notAchieved("rate")
	r.invalid(StatusGeneratorLagged, "lag again")
	if r.Status != StatusRateNotAchieved || r.Reason != "lag; host; rate; lag again" {
		t.Errorf("status %s (%s)", r.Status, r.Reason)
	}
	f := &Result{}
	f.fail("boom")
	f.invalid(StatusHostContended, "host")
	if f.Status != StatusFailed || f.Reason != "boom" {
		t.Errorf("a failed result stays failed: %s (%s)", f.Status, f.Reason)
	}
}
