package driver

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Contention is what the rest of the machine took from a run during its
// measured window, and how much of the reported latency the generator's
// own delay accounts for: the figures that say whether the run's
// percentiles can be trusted. The CPU figures come from Linux's
// /proc/self/task/*/schedstat, /proc/stat and /proc/loadavg; elsewhere
// Measured is false and they are zero.
type Contention struct {
	Measured bool  `json:"measured"`
	WindowNs int64 `json:"window_ns"`
	// CPUNs is the time the process's threads ran during the window, and
	// CPUWaitNs how long they were runnable but waiting for a CPU, summed
	// over threads. Threads that exit during the window take their share
	// with them, so both are lower bounds.
	CPUNs     int64 `json:"cpu_ns"`
	CPUWaitNs int64 `json:"cpu_wait_ns"`
	// Withheld is CPUWaitNs / (CPUNs + CPUWaitNs): the share of the CPU
	// time the process's threads asked for that they had to wait for.
	// Near 0 on an idle machine; the process's own threads competing (GC
	// workers beside busy ops on few cores) count too, which is why a
	// limit on it is calibrated per host.
	Withheld float64 `json:"cpu_withheld"`
	// Threads is how many threads were read; MaxThreadWaitNs the longest
	// wait of one of them (a pacer thread that waits is generator lag).
	Threads         int   `json:"threads"`
	MaxThreadWaitNs int64 `json:"max_thread_wait_ns"`
	// StealNs is the CPU time a hypervisor gave other guests on this
	// machine's CPUs during the window, summed over CPUs, and StealShare
	// its share of the CPUs' time (CPUs × window).
	StealNs    int64   `json:"steal_ns"`
	StealShare float64 `json:"steal_share"`
	// OthersCPUNs is the CPU time the machine spent busy during the window
	// outside this process (every other process: another tenant's work,
	// but also an http workload's server), and OthersShare its share of
	// the CPUs' time.
	OthersCPUNs int64   `json:"others_cpu_ns"`
	OthersShare float64 `json:"others_share"`
	CPUs        int     `json:"cpus"`
	// LoadStart and LoadEnd are the 1-minute load averages at the window's
	// start and end.
	LoadStart float64 `json:"load_start"`
	LoadEnd   float64 `json:"load_end"`
	// LagShareP50 and LagShareP99 are the generator lag's percentile over
	// the latency's: how large a part of the reported figure the driver's
	// own delay could be (0.003: at most 0.3%).
	LagShareP50 float64 `json:"lag_share_p50"`
	LagShareP99 float64 `json:"lag_share_p99"`
}

// userHZ is the unit of /proc/stat's times (USER_HZ): 100 on every Linux
// architecture the harness supports.
const userHZ = 100

// A hostSample is the figures contention is the difference of, read at
// one end of the window.
type hostSample struct {
	ok      bool
	at      time.Time
	threads map[string][2]int64 // tid → run, wait (ns)
	busy    int64               // machine busy time, ns (all CPUs)
	steal   int64               // machine steal time, ns (all CPUs)
	cpus    int
	load    float64
}

// sampleHost reads the process's threads' schedstat, the machine's CPU
// times and its load average.
func sampleHost() hostSample {
	s := hostSample{at: time.Now(), threads: map[string][2]int64{}}
	paths, _ := filepath.Glob("/proc/self/task/*/schedstat")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		f := bytes.Fields(b)
		if len(f) < 2 {
			continue
		}
		run, err1 := strconv.ParseInt(string(f[0]), 10, 64)
		wait, err2 := strconv.ParseInt(string(f[1]), 10, 64)
		if err1 == nil && err2 == nil {
			s.threads[filepath.Base(filepath.Dir(p))] = [2]int64{run, wait}
		}
	}
	stat, err := os.ReadFile("/proc/stat")
	if err != nil || len(s.threads) == 0 {
		return s
	}
	s.busy, s.steal, s.cpus, s.ok = parseProcStat(stat)
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := bytes.Fields(b); len(f) > 0 {
			s.load, _ = strconv.ParseFloat(string(f[0]), 64)
		}
	}
	return s
}

// parseProcStat reads the aggregate "cpu" line of /proc/stat (user nice
// system idle iowait irq softirq steal ...) and counts the "cpuN" lines:
// busy is user+nice+system+irq+softirq, in ns.
func parseProcStat(b []byte) (busy, steal int64, cpus int, ok bool) {
	for _, line := range bytes.Split(b, []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) == 0 || !bytes.HasPrefix(f[0], []byte("cpu")) {
			continue
		}
		if len(f[0]) > 3 {
			cpus++
			continue
		}
		if len(f) < 9 {
			return 0, 0, 0, false
		}
		var v [8]int64
		for i := range v {
			n, err := strconv.ParseInt(string(f[i+1]), 10, 64)
			if err != nil {
				return 0, 0, 0, false
			}
			v[i] = n
		}
		const tick = int64(time.Second) / userHZ
		busy = (v[0] + v[1] + v[2] + v[5] + v[6]) * tick
		steal = v[7] * tick
		ok = true
	}
	return busy, steal, cpus, ok && cpus > 0
}

// contentionBetween computes the window's contention from its two samples.
// A thread new at the end counts from its start (it began in the window).
func contentionBetween(a, b hostSample) Contention {
	c := Contention{}
	if !a.ok || !b.ok {
		return c
	}
	window := b.at.Sub(a.at)
	if window <= 0 {
		return c
	}
	c.Measured, c.WindowNs, c.CPUs, c.LoadStart, c.LoadEnd = true, int64(window), b.cpus, a.load, b.load
	for tid, end := range b.threads {
		start := a.threads[tid]
		run, wait := max(0, end[0]-start[0]), max(0, end[1]-start[1])
		c.CPUNs += run
		c.CPUWaitNs += wait
		c.MaxThreadWaitNs = max(c.MaxThreadWaitNs, wait)
		c.Threads++
	}
	if asked := c.CPUNs + c.CPUWaitNs; asked > 0 {
		c.Withheld = float64(c.CPUWaitNs) / float64(asked)
	}
	capacity := float64(window) * float64(c.CPUs)
	c.StealNs = max(0, b.steal-a.steal)
	c.OthersCPUNs = max(0, b.busy-a.busy-c.CPUNs)
	if capacity > 0 {
		c.StealShare = float64(c.StealNs) / capacity
		c.OthersShare = min(1, float64(c.OthersCPUNs)/capacity)
	}
	return c
}

// lagShare is lag over latency, 0 when there is no latency to share.
func lagShare(lagNs, latencyNs int64) float64 {
	if latencyNs <= 0 {
		return 0
	}
	return float64(lagNs) / float64(latencyNs)
}
