package instr

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// fakeCounter models a program: start-up costs startup instructions, each
// iteration perOp; it records the n it was asked for.
type fakeCounter struct {
	startup, perOp uint64
	calls          []uint64
	fail           error
}

func (f *fakeCounter) count(_ context.Context, n uint64) (*Profile, error) {
	f.calls = append(f.calls, n)
	if f.fail != nil {
		return nil, f.fail
	}
	op := n * f.perOp
	return &Profile{Total: f.startup + op, Funcs: map[string]uint64{"runtime.main": f.startup, "main.op": op}}, nil
}

func TestMeasure(t *testing.T) {
	f := &fakeCounter{startup: 30_000_000, perOp: 12_345}
	s, err := Measure(context.Background(), f.count, 1002)
	if err != nil {
		t.Fatal(err)
	}
	if s.PerOp != 12345 || s.N != 1002 || s.Base != Base || s.TotalBase != 30_000_000+2*12_345 || s.TotalN != 30_000_000+1002*12_345 {
		t.Errorf("sample %+v; want 12345 per op, start-up cancelled", s)
	}
	if len(s.TopFuncs) != 1 || s.TopFuncs[0] != (FuncCost{"main.op", 12345}) {
		t.Errorf("top functions %+v; want main.op alone (runtime.main did not grow)", s.TopFuncs)
	}
	if fmt.Sprint(f.calls) != "[2 1002]" {
		t.Errorf("counted runs %v; want [2 1002]", f.calls)
	}
	if _, err := Measure(context.Background(), f.count, Base+1); err == nil {
		t.Error("a sample of one op accepted")
	}
	f.fail = errors.New("valgrind died")
	if _, err := Measure(context.Background(), f.count, 10); err == nil || err.Error() != "valgrind died" {
		t.Errorf("a failed run: %v", err)
	}
}

func TestDiffRefusesNoGrowth(t *testing.T) {
	a := &Profile{Total: 100, Funcs: map[string]uint64{"f": 100}}
	_, err := Diff(2, 10, a, &Profile{Total: 100, Funcs: map[string]uint64{"f": 100}})
	if err == nil || !strings.Contains(err.Error(), "did not run") {
		t.Errorf("equal counts: %v; want an error, never a zero per op", err)
	}
	if _, err := Diff(2, 2, a, a); err == nil {
		t.Error("n = base accepted")
	}
}

func TestDiffTopFuncs(t *testing.T) {
	a := &Profile{Total: 0, Funcs: map[string]uint64{}}
	b := &Profile{Funcs: map[string]uint64{}}
	for i := range 30 {
		name := string(rune('A'+i%26)) + strings.Repeat("x", i/26)
		b.Funcs[name] = uint64(10 * (i + 1))
		b.Total += uint64(10 * (i + 1))
	}
	b.Funcs["shrank"] = 0
	a.Funcs["shrank"] = 5
	a.Total = 5
	s, err := Diff(0, 10, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.TopFuncs) != TopFuncs || s.TopFuncs[0].PerOp != 30 || s.TopFuncs[TopFuncs-1].PerOp != 11 {
		t.Errorf("top functions %+v; want the %d largest, largest first", s.TopFuncs, TopFuncs)
	}
}

func TestIterations(t *testing.T) {
	for _, tt := range []struct {
		perOp  float64
		target uint64
		want   uint64
		why    string
	}{
		{17_650_000, 500_000_000, 20, "RSA signing: 28.3 → 20"},
		{1_800_000, 500_000_000, 200, "JSON decode: 277 → 200"},
		{360_000, 500_000_000, 1000, "synthetic spin: 1388 → 1000"},
		{100, 500_000_000, 5_000_000, "exactly 5e6 stays 5e6"},
		{1000, 1000, 1, "exactly 1"},
		{2e9, 500_000_000, 1, "an op dearer than the target still runs once"},
		{0, 500_000_000, 1, "no estimate: 1"},
		{500, 1_000_000, 2000, "a power of ten is not lost to rounding"},
		{3, 1e18, 200_000_000_000_000_000, "huge targets are capped, not overflowed"},
	} {
		if got := Iterations(tt.perOp, tt.target); got != tt.want {
			t.Errorf("%s: Iterations(%g, %d) = %d; want %d", tt.why, tt.perOp, tt.target, got, tt.want)
		}
	}
}

func TestNextPilot(t *testing.T) {
	for _, tt := range []struct {
		ops  uint64
		diff int64
		next uint64
		done bool
		why  string
	}{
		{1, 60_000_000, 1, true, "above pilotMin: done"},
		{1, 17_650_000, 6, false, "RSA: 2×50M/17.65M = 5.7 → ×6"},
		{1, 40_000_000, 4, false, "close: at least ×4"},
		{1, 12_000, 1000, false, "at the noise level: ×1000"},
		{1, -30_000, 1000, false, "negative (noise): ×1000"},
		{1000, 1_000_000, 100_000, false, "×100"},
		{1 << 39, 10, 1 << 40, false, "capped"},
	} {
		next, done := nextPilot(tt.ops, tt.diff)
		if next != tt.next || done != tt.done {
			t.Errorf("%s: nextPilot(%d, %d) = %d, %v; want %d, %v", tt.why, tt.ops, tt.diff, next, done, tt.next, tt.done)
		}
	}
}

func TestCalibrate(t *testing.T) {
	for _, tt := range []struct {
		name   string
		perOp  uint64
		counts []uint64
		n      uint64
	}{
		{"a dear op: one pilot", 60_000_000, []uint64{2, 3}, MinN},
		{"RSA-like: two pilots", 17_650_000, []uint64{2, 3, 8}, 20},
		{"a cheap op: pilots grow by up to 1000", 300, []uint64{2, 3, 1002, 334002}, 1_000_000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeCounter{startup: 25_000_000, perOp: tt.perOp}
			c, err := Calibrate(context.Background(), f.count, 0)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(f.calls) != fmt.Sprint(tt.counts) {
				t.Errorf("counted runs at %v; want %v", f.calls, tt.counts)
			}
			if c.N != tt.n || c.PerOp != float64(tt.perOp) || c.Target != DefaultTarget || c.TotalBase != 25_000_000+2*tt.perOp {
				t.Errorf("calibration %+v; want N %d from %d per op", c, tt.n, tt.perOp)
			}
		})
	}
	f := &fakeCounter{startup: 25_000_000, perOp: 0}
	if _, err := Calibrate(context.Background(), f.count, 0); err == nil || !strings.Contains(err.Error(), "does (almost) nothing") {
		t.Errorf("an op that counts nothing: %v", err)
	}
}
