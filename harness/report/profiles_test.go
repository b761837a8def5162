package report

import (
	"testing"

	"github.com/google/pprof/profile"
)

// cpuProfile builds a CPU profile from stacks (leaf first) with their
// sample values in nanoseconds.
func cpuProfile(stacks map[string][]string, values map[string]int64) *profile.Profile {
	p := &profile.Profile{SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}}}
	funcs := map[string]*profile.Function{}
	id := uint64(1)
	for key, stack := range stacks {
		s := &profile.Sample{Value: []int64{1, values[key]}}
		for _, name := range stack {
			f := funcs[name]
			if f == nil {
				f = &profile.Function{ID: id, Name: name}
				funcs[name] = f
				p.Function = append(p.Function, f)
				id++
			}
			loc := &profile.Location{ID: id, Line: []profile.Line{{Function: f}}}
			id++
			p.Location = append(p.Location, loc)
			s.Location = append(s.Location, loc)
		}
		p.Sample = append(p.Sample, s)
	}
	return p
}

func TestDiffLeavesOutTheDriver(t *testing.T) {
	stacks := map[string][]string{
		"pacer": {"runtime.nanotime", driverPkg + "realClock.SleepUntil", driverPkg + "(*runner).pace1", driverPkg + "(*runner).work"},
		"op":    {"main.decode", "main.op", driverPkg + "(*runner).call", driverPkg + "(*runner).work"},
		"gc":    {"runtime.gcBgMarkWorker"},
	}
	// Base: 2 runs merged; candidate: 1 run. Per run, decode goes from
	// 100 ms to 150 ms, GC from 20 ms to 21 ms; the pacer's spin changes
	// most in share but is not the workload's.
	base := cpuProfile(stacks, map[string]int64{"pacer": 2e9, "op": 200e6, "gc": 40e6})
	cand := cpuProfile(stacks, map[string]int64{"pacer": 10e6, "op": 150e6, "gc": 21e6})
	d := Diff(base, cand, 2, 1, "cpu", "base", "cand", 10)
	if len(d.Funcs) == 0 || d.Funcs[0].Name != "main.decode" && d.Funcs[0].Name != "main.op" {
		t.Fatalf("the largest absolute change should lead: %+v", d.Funcs)
	}
	for _, f := range d.Funcs {
		if f.Name == "runtime.nanotime" || f.Name == driverPkg+"(*runner).call" {
			t.Errorf("driver frame or driver-only sample in the diff: %+v", f)
		}
		if f.Name == "main.decode" && (f.BaseFlatV != 100e6 || f.CandFlatV != 150e6) {
			t.Errorf("decode per run: %v → %v, want 100ms → 150ms", f.BaseFlatV, f.CandFlatV)
		}
	}
	if d.Unit != "nanoseconds" || fmtSampleDelta(d.Unit, 50e6) != "+50ms" {
		t.Errorf("unit %q, delta %q", d.Unit, fmtSampleDelta(d.Unit, 50e6))
	}
}
