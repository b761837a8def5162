package driver

import (
	"math"
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
