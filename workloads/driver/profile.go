package driver

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strings"
)

// profileFiles maps each -profiles name to the file it writes.
var profileFiles = map[string]string{
	"cpu":    "cpu.pprof",
	"heap":   "heap.pprof",
	"allocs": "allocs.pprof",
	"mutex":  "mutex.pprof",
	"block":  "block.pprof",
	"trace":  "trace.out",
}

// Sampling rates while the window is measured. Outside it mutex and block
// profiling are off, so those profiles hold the window only.
const (
	mutexFraction = 10    // 1 in 10 contention events
	blockRateNs   = 10000 // one sample per ~10 µs spent blocked
)

// defaultMemProfileRate is the runtime's heap sampling rate, restored for the
// window (or at once when no heap profile is wanted).
var defaultMemProfileRate = runtime.MemProfileRate

// Heap sampling is off from package initialisation on, so that allocations
// before the window (flag parsing, setup, warm-up) leave no samples behind:
// samples taken earlier could not be removed from the profile later.
func init() { runtime.MemProfileRate = 0 }

// A profiler collects the requested profiles over the measured window.
//
// Note: heap and allocs profiles are cumulative in the runtime and cannot be
// reset, so heap sampling stays off (MemProfileRate = 0, see init) through
// setup and warm-up and is turned on at the window's start: the samples are
// then the window's allocations only, and inuse_* is what of them is still
// live. (Recent runtimes take one sample per P when the rate changes, so a
// few phantom samples are attributed to whatever allocated next.)
// Turning sampling off does not disturb it later: the runtime only redraws
// its next sampling point when it takes a sample.
type profiler struct {
	dir     string
	want    map[string]bool
	memRate int
	cpu, tr *atomicFile
	started bool
	files   []string
	errs    []error
}

func parseProfiles(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if _, ok := profileFiles[p]; !ok {
			return nil, fmt.Errorf("unknown profile %q (want cpu, heap, allocs, mutex, block or trace)", p)
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}

func newProfiler(dir string, names []string) *profiler {
	p := &profiler{dir: dir, want: map[string]bool{}, memRate: defaultMemProfileRate}
	for _, n := range names {
		p.want[n] = true
	}
	if p.memRate == 0 {
		p.memRate = 512 * 1024 // the runtime's default, should a linker flag have zeroed it
	}
	if p.want["heap"] || p.want["allocs"] {
		runtime.MemProfileRate = 0
	} else {
		runtime.MemProfileRate = p.memRate
	}
	return p
}

func (p *profiler) fail(err error) { p.errs = append(p.errs, err) }

func (p *profiler) path(name string) string { return filepath.Join(p.dir, profileFiles[name]) }

// start begins the window's profiles.
func (p *profiler) start() {
	p.started = true
	if p.want["mutex"] {
		runtime.SetMutexProfileFraction(mutexFraction)
	}
	if p.want["block"] {
		runtime.SetBlockProfileRate(blockRateNs)
	}
	if p.want["cpu"] {
		f, err := createAtomic(p.path("cpu"))
		if err == nil {
			if err = pprof.StartCPUProfile(f); err != nil {
				f.Abort()
			}
		}
		if err != nil {
			p.fail(fmt.Errorf("cpu profile: %w", err))
		} else {
			p.cpu = f
		}
	}
	if p.want["trace"] {
		f, err := createAtomic(p.path("trace"))
		if err == nil {
			if err = trace.Start(f); err != nil {
				f.Abort()
			}
		}
		if err != nil {
			p.fail(fmt.Errorf("trace: %w", err))
		} else {
			p.tr = f
		}
	}
	// Last, so that the profilers' own buffers are not in the heap profile.
	if p.want["heap"] || p.want["allocs"] {
		runtime.MemProfileRate = p.memRate
	}
}

// stop ends the profiles and writes them.
func (p *profiler) stop() {
	if !p.started {
		runtime.MemProfileRate = p.memRate
		return
	}
	if p.cpu != nil {
		pprof.StopCPUProfile()
		p.commit("cpu", p.cpu.Commit())
	}
	if p.tr != nil {
		trace.Stop()
		p.commit("trace", p.tr.Commit())
	}
	if p.want["heap"] || p.want["allocs"] {
		runtime.GC() // the heap profile is as of the last GC
	}
	for _, name := range []string{"heap", "allocs", "mutex", "block"} {
		if p.want[name] {
			prof := pprof.Lookup(name)
			p.commit(name, writeFileAtomic(p.path(name), func(w io.Writer) error { return prof.WriteTo(w, 0) }))
		}
	}
	runtime.SetMutexProfileFraction(0)
	runtime.SetBlockProfileRate(0)
}

func (p *profiler) commit(name string, err error) {
	if err != nil {
		p.fail(fmt.Errorf("%s profile: %w", name, err))
		return
	}
	p.files = append(p.files, profileFiles[name])
}
