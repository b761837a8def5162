package driver

import (
	"slices"
	"sync/atomic"
	"time"
)

// A hostProbe times a fixed reference loop in the gaps between a run's ops,
// on the pacer's own thread: how fast the host ran that thread while the
// ops ran. On a shared or virtual machine a thread's speed drifts with what
// else the physical core does (an SMT sibling's work, the clock the package
// runs at): measured on the reference 2-core guest, the same CPU-bound op
// took 69.7–81.9 µs in processes started 300 ms apart, while its time over
// this loop's stayed within 0.3% (6.44–6.55×). The gate compares a run's
// figures with the host speed it ran at (see compare's host adjustment), so
// a drift of the host between a baseline and a candidate run is not taken
// for a change of the code.
//
// The loop is registers only (no memory traffic, no allocation) and runs
// only where the next op is due probeMinGap or more away, at most every
// probeEvery, during the measured window: about 12 µs each, under 1% of a
// core, and never on an op's critical path.
type hostProbe struct {
	every  time.Duration // the least time between probes; doubles when ns is full
	nextAt time.Duration // clock offset of the next probe
	ns     []int32       // durations, ns
	sink   atomic.Uint64
}

const (
	// ProbeRounds is the reference loop's length: ~12 µs on a 2024 x86 core.
	ProbeRounds = 4096
	probeMinGap = 200 * time.Microsecond
	probeEvery0 = 2 * time.Millisecond
	probeKeep   = 1 << 13
	// MinProbes is how many probes a run needs for its host speed figure.
	MinProbes = 20
)

func newHostProbe() *hostProbe {
	return &hostProbe{every: probeEvery0, ns: make([]int32, 0, probeKeep)}
}

// maybe runs the probe when it is due and the gap before the next op
// allows it.
func (p *hostProbe) maybe(now, due time.Duration) {
	if due-now < probeMinGap || now < p.nextAt {
		return
	}
	t0 := time.Now()
	p.sink.Add(probeLoop(ProbeRounds, p.sink.Load()|1))
	d := time.Since(t0)
	p.nextAt = now + p.every
	if len(p.ns) == cap(p.ns) {
		// Keep every other sample and probe half as often: the probes stay
		// spread over the whole window in bounded memory.
		k := 0
		for i := 0; i < len(p.ns); i += 2 {
			p.ns[k] = p.ns[i]
			k++
		}
		p.ns = p.ns[:k]
		p.every *= 2
	}
	p.ns = append(p.ns, int32(min(d, time.Second)))
}

// summary is the probes' count and median.
func (p *hostProbe) summary() HostProbe {
	s := HostProbe{Rounds: ProbeRounds, Count: len(p.ns)}
	if len(p.ns) > 0 {
		v := slices.Clone(p.ns)
		slices.Sort(v)
		s.P50Ns = int64(v[len(v)/2])
	}
	return s
}

// probeLoop is the reference loop: xorshift steps and a multiply, a
// dependency chain of single-cycle and multiply instructions.
func probeLoop(n int, x uint64) uint64 {
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		x = x*2862933555777941757 + 3037000493
	}
	return x
}

// HostProbe is a run's host speed: the median time of ProbeRounds rounds
// of the reference loop on the pacer's thread during the measured window
// (lower is faster), from Count probes. Count is 0 where the ops left no
// gap for one (a saturated run, or an iterations run).
type HostProbe struct {
	Rounds int   `json:"rounds"`
	Count  int   `json:"count"`
	P50Ns  int64 `json:"p50_ns"`
}

// HostProbeUnit is the bench.txt unit of a run's host speed (HostProbe's
// P50Ns): shown beside the run's figures, and what the gate reads them
// against.
const HostProbeUnit = "host-probe-ns"
