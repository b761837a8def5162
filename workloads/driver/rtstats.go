package driver

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"time"
)

// RuntimeStats are the Go runtime's figures for the measured window. Counts
// and totals are differences between the window's start and end; heap goal,
// live heap and goroutines are values at its end.
type RuntimeStats struct {
	GCCycles       uint64 `json:"gc_cycles"`
	GCPauseP50Ns   int64  `json:"gc_pause_p50_ns"`
	GCPauseP99Ns   int64  `json:"gc_pause_p99_ns"`
	GCPauseMaxNs   int64  `json:"gc_pause_max_ns"`
	GCPauseTotalNs int64  `json:"gc_pause_total_ns"`
	HeapGoalB      uint64 `json:"heap_goal_B"`
	LiveHeapB      uint64 `json:"live_heap_B"`
	AllocB         uint64 `json:"alloc_B"`
	AllocObjects   uint64 `json:"alloc_objects"`
	// GCPerSecond is the GC cycles completed in each second of the window,
	// for marking them on latency-over-time plots.
	GCPerSecond []uint64 `json:"gc_cycles_per_second,omitempty"`
	PeakRSSB    uint64   `json:"peak_rss_B"`
	// PeakRSSReset says whether the peak RSS counter could be reset at the
	// start of the window; when false, PeakRSSB is the peak since process start.
	PeakRSSReset bool  `json:"peak_rss_reset"`
	Goroutines   int64 `json:"goroutines"`
	// RunqueueWaitNs is how long the process's threads were runnable but
	// waiting for a CPU during the window (Linux schedstat; 0 elsewhere):
	// time the machine's other load took from the generator and the op.
	RunqueueWaitNs int64 `json:"runqueue_wait_ns"`
}

// Metric names, with older or alternative names tried in order. Go 1.23 has
// all the first choices; the others keep the driver working with toolchains
// that lack one.
var (
	mGCCycles   = []string{"/gc/cycles/total:gc-cycles"}
	mPauses     = []string{"/sched/pauses/total/gc:seconds", "/gc/pauses:seconds"}
	mPauseCPU   = []string{"/cpu/classes/gc/pause:cpu-seconds"}
	mHeapGoal   = []string{"/gc/heap/goal:bytes"}
	mLiveHeap   = []string{"/gc/heap/live:bytes"}
	mGoroutines = []string{"/sched/goroutines:goroutines"}
)

// A snapshot holds the runtime metrics at one moment; absent ones are
// KindBad and read as zero. Allocation totals come from runtime.MemStats.
//
// Note: runtime/metrics counts small-object allocations a span at a time
// (when a per-P cache takes a span), so for a light op its /gc/heap/allocs
// figures jump by whole spans between windows: 14 B/op in one run, 400 B/op
// in the next, for an op that allocates nothing. ReadMemStats flushes the
// caches and is exact, as go test -benchmem is; it stops the world for tens
// of microseconds, once at each end of the window.
type snapshot struct {
	vals                map[string]metrics.Value
	totalAlloc, mallocs uint64
}

// supportedMetrics is the set of runtime/metrics names this toolchain has.
var supportedMetrics = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, d := range metrics.All() {
		m[d.Name] = true
	}
	return m
})

func takeSnapshot() snapshot {
	s := readMetrics()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.totalAlloc, s.mallocs = ms.TotalAlloc, ms.Mallocs
	return s
}

// takeEndSnapshot is takeSnapshot for the end of a window whose allocation
// counts must be exact to the object: it reads MemStats before it allocates
// anything for the metrics.
func takeEndSnapshot() snapshot {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := readMetrics()
	s.totalAlloc, s.mallocs = ms.TotalAlloc, ms.Mallocs
	return s
}

func readMetrics() snapshot {
	supported := supportedMetrics()
	var samples []metrics.Sample
	for _, names := range [][]string{mGCCycles, mPauses, mPauseCPU, mHeapGoal, mLiveHeap, mGoroutines} {
		for _, n := range names {
			if supported[n] {
				samples = append(samples, metrics.Sample{Name: n})
				break
			}
		}
	}
	metrics.Read(samples)
	s := snapshot{vals: map[string]metrics.Value{}}
	for _, x := range samples {
		s.vals[x.Name] = x.Value
	}
	return s
}

func (s snapshot) get(names []string) metrics.Value {
	for _, n := range names {
		if v, ok := s.vals[n]; ok {
			return v
		}
	}
	return metrics.Value{}
}

func (s snapshot) uint(names []string) uint64 {
	v := s.get(names)
	switch v.Kind() {
	case metrics.KindUint64:
		return v.Uint64()
	case metrics.KindFloat64:
		return uint64(v.Float64())
	}
	return 0
}

func (s snapshot) float(names []string) float64 {
	v := s.get(names)
	switch v.Kind() {
	case metrics.KindUint64:
		return float64(v.Uint64())
	case metrics.KindFloat64:
		return v.Float64()
	}
	return 0
}

// runtimeDelta computes the window's RuntimeStats from its two snapshots.
func runtimeDelta(start, end snapshot) RuntimeStats {
	rs := RuntimeStats{
		GCCycles:     end.uint(mGCCycles) - start.uint(mGCCycles),
		HeapGoalB:    end.uint(mHeapGoal),
		LiveHeapB:    end.uint(mLiveHeap),
		AllocB:       end.totalAlloc - start.totalAlloc,
		AllocObjects: end.mallocs - start.mallocs,
		Goroutines:   int64(end.uint(mGoroutines)),
	}
	if a, b := start.get(mPauses), end.get(mPauses); a.Kind() == metrics.KindFloat64Histogram && b.Kind() == metrics.KindFloat64Histogram {
		rs.GCPauseP50Ns, rs.GCPauseP99Ns, rs.GCPauseMaxNs, rs.GCPauseTotalNs = pauseStats(a.Float64Histogram(), b.Float64Histogram())
	}
	// The CPU-seconds metric is exact: pause wall time × GOMAXPROCS.
	if cpu := end.float(mPauseCPU) - start.float(mPauseCPU); cpu > 0 {
		rs.GCPauseTotalNs = int64(cpu / float64(runtime.GOMAXPROCS(0)) * 1e9)
	}
	return rs
}

// pauseStats reads quantiles from the difference of two pause histograms.
// A quantile is reported as its bucket's upper bound (the runtime's buckets
// are within a few percent), the total from bucket midpoints.
func pauseStats(a, b *metrics.Float64Histogram) (p50, p99, maxNs, total int64) {
	counts := make([]uint64, len(b.Counts))
	var n uint64
	for i := range b.Counts {
		counts[i] = b.Counts[i]
		if i < len(a.Counts) {
			counts[i] -= a.Counts[i]
		}
		n += counts[i]
	}
	if n == 0 {
		return 0, 0, 0, 0
	}
	bound := func(i int) float64 { // finite upper bound of bucket i
		if hi := b.Buckets[i+1]; !math.IsInf(hi, 1) {
			return hi
		}
		return b.Buckets[i]
	}
	q := func(f float64) int64 {
		rank := uint64(math.Ceil(f * float64(n)))
		var c uint64
		for i, k := range counts {
			c += k
			if c >= rank && k > 0 {
				return int64(bound(i) * 1e9)
			}
		}
		return 0
	}
	var sum float64
	for i, k := range counts {
		if k > 0 {
			lo := math.Max(b.Buckets[i], 0)
			sum += float64(k) * (lo + bound(i)) / 2
		}
	}
	return q(0.5), q(0.99), q(1), int64(sum * 1e9)
}

// resetPeakRSS asks Linux to restart the VmHWM counter at the current RSS
// (writing 5 to /proc/self/clear_refs, Linux ≥ 4.0). It reports false where
// that is not permitted or not Linux; peak RSS is then since process start.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS reads VmHWM from /proc/self/status, in bytes; 0 where unavailable.
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) >= 2 && string(f[0]) == "VmHWM:" {
			kb, _ := strconv.ParseUint(string(f[1]), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// runqueueWait sums, over the process's threads, the time spent runnable
// but not running (the second field of /proc/self/task/*/schedstat). Threads
// that exit between two readings take their share with them, so a
// difference is a lower bound.
func runqueueWait() int64 {
	paths, _ := filepath.Glob("/proc/self/task/*/schedstat")
	var sum int64
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if f := bytes.Fields(b); len(f) >= 2 {
			n, _ := strconv.ParseInt(string(f[1]), 10, 64)
			sum += n
		}
	}
	return sum
}

// A gcSampler counts GC cycles in each second of the window: one read of
// one runtime/metrics sample per second, into storage allocated up front.
type gcSampler struct {
	counts []uint64
	sample []metrics.Sample
	done   chan struct{}
	exited chan struct{}
	n      int
}

func newGCSampler(seconds int) *gcSampler {
	g := &gcSampler{counts: make([]uint64, seconds)}
	if supportedMetrics()[mGCCycles[0]] { // else no per-second figures
		g.sample = []metrics.Sample{{Name: mGCCycles[0]}}
	}
	return g
}

func (g *gcSampler) read() uint64 {
	metrics.Read(g.sample)
	if g.sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return g.sample[0].Value.Uint64()
}

func (g *gcSampler) start() {
	if g.sample == nil || g.done != nil {
		return
	}
	g.done, g.exited = make(chan struct{}), make(chan struct{})
	last := g.read()
	go func() {
		defer close(g.exited)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-g.done:
				if g.n < len(g.counts) {
					now := g.read()
					g.counts[g.n] = now - last
					g.n++
				}
				return
			case <-t.C:
				if g.n < len(g.counts) {
					now := g.read()
					g.counts[g.n], last = now-last, now
					g.n++
				}
			}
		}
	}()
}

// stop ends sampling (counting the last partial second) and returns the
// counts, nil when sampling never started.
func (g *gcSampler) stop() []uint64 {
	if g.done == nil {
		return nil
	}
	close(g.done)
	<-g.exited
	return g.counts[:g.n]
}
