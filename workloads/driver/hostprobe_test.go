package driver

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHostProbeRecorded runs a cheap op at 500/s: the gaps between ops hold
// the probes, every probe is timed, and bench.txt carries the run's median.
func TestHostProbeRecorded(t *testing.T) {
	dir := t.TempDir()
	res, err := Run(context.Background(), Config{Name: "probe", Op: "noop", Rate: 500, Duration: 600 * time.Millisecond,
		Warmup: 100 * time.Millisecond, Concurrency: 1, Out: dir}, Func(func(context.Context) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	hp := res.HostProbe
	// 300 ops 2 ms apart: one probe per gap at most every 2 ms, so up to
	// 300; a stalled host may skip some, never most.
	if hp.Rounds != ProbeRounds || hp.Count < 100 || hp.Count > 301 || hp.P50Ns <= 0 {
		t.Fatalf("host probe %+v: want rounds %d and 100-301 probes with a median", hp, ProbeRounds)
	}
	b, err := os.ReadFile(filepath.Join(dir, "bench.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), " "+HostProbeUnit) || !strings.Contains(string(b), "Unit "+HostProbeUnit+" better=lower") {
		t.Errorf("bench.txt lacks %s:\n%s", HostProbeUnit, b)
	}
}

// TestHostProbeBounded checks the probe keeps bounded memory over a long
// window: when full it keeps every other sample and probes half as often.
func TestHostProbeBounded(t *testing.T) {
	p := newHostProbe()
	now := time.Duration(0)
	for range 3 * probeKeep {
		p.maybe(now, now+time.Millisecond)
		now += 10 * time.Millisecond
	}
	if len(p.ns) > probeKeep || len(p.ns) < probeKeep/2 || p.every <= probeEvery0 {
		t.Errorf("%d samples kept (limit %d), every %v", len(p.ns), probeKeep, p.every)
	}
	// No probe where the next op is due too soon, nor before nextAt.
	q := newHostProbe()
	q.maybe(0, probeMinGap-1)
	q.maybe(0, time.Millisecond)
	q.maybe(time.Millisecond, 2*time.Millisecond)
	if len(q.ns) != 1 {
		t.Errorf("%d probes; want 1 (one gap too short, one before nextAt)", len(q.ns))
	}
}
