package spec

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Measurement tiers: what a cell measures.
const (
	// MeasureTime is wall-clock latency and sec/op, the default.
	MeasureTime = "time"
	// MeasureInstructions is instructions per op, counted under valgrind
	// (harness/instr): deterministic to about 0.1%, blind to caches,
	// memory and concurrency, and run on valgrind's virtual CPU.
	MeasureInstructions = "instructions"
)

// measures lists the tiers, for errors.
var measures = []string{MeasureTime, MeasureInstructions}

// Measures is a workload's measure key: one tier or a list of them. Each
// tier is a cell dimension value ("measure"); empty means [time].
type Measures []string

// Has reports whether the list names tier m (time when the list is empty).
func (ms Measures) Has(m string) bool {
	if len(ms) == 0 {
		return m == MeasureTime
	}
	return slices.Contains(ms, m)
}

// decodeNode accepts a tier name or a list of them.
func (ms *Measures) decodeNode(d *decoder, n *yaml.Node, path string) {
	var items []*yaml.Node
	var paths []string
	if n.Kind == yaml.SequenceNode {
		if len(n.Content) == 0 {
			d.errorf(n, path, "empty list: leave measure out to measure time")
			return
		}
		for i, e := range n.Content {
			items = append(items, d.resolve(e))
			paths = append(paths, index(path, i))
		}
	} else {
		items, paths = []*yaml.Node{n}, []string{path}
	}
	out := Measures{}
	for i, e := range items {
		d.pos[paths[i]] = Pos{e.Line, e.Column}
		s, ok := d.scalar(e, paths[i], "time or instructions")
		if !ok {
			continue
		}
		switch {
		case !slices.Contains(measures, s):
			d.errorf(e, paths[i], "unknown measure %q%s (want %s)", s, DidYouMean(s, measures), strings.Join(measures, " or "))
		case slices.Contains(out, s):
			d.errorf(e, paths[i], "%s listed twice", s)
		default:
			out = append(out, s)
		}
	}
	*ms = out
}

// measure checks a workload's measure and iterations keys.
func (v *validator) measure(w *Workload, p string) {
	if w.Measure.Has(MeasureInstructions) && w.Kind == KindHTTP {
		v.errorf(join(p, "measure"), "instructions are counted for gotest and fixed-rate workloads only (an http cell's op runs in another process, driven open loop)")
	}
	if _, given := v.s.pos[join(p, "iterations")]; given {
		switch {
		case !w.Measure.Has(MeasureInstructions):
			v.errorf(join(p, "iterations"), "used only with measure: instructions (the iteration count of its counted runs)")
		case w.Iterations < 1 || w.Iterations > 1e12:
			v.errorf(join(p, "iterations"), "must be between 1 and 1e12 (got %d)", w.Iterations)
		}
	}
}

// measureValues are the measure axis of a workload's cells.
func measureValues(w *Workload) []string {
	if len(w.Measure) == 0 {
		return []string{MeasureTime}
	}
	return w.Measure
}

// cellMeasure is the Cell.Measure of tier m: "" for time, so that specs
// that never ask for instructions keep their cell ids and bench.txt keys.
func cellMeasure(m string) string {
	if m == MeasureTime {
		return ""
	}
	return m
}

// Instructions reports whether the cell counts instructions.
func (c *Cell) Instructions() bool { return c.Measure == MeasureInstructions }

func (c *Cell) measureMatches(value string) bool {
	return c.Measure == cellMeasure(value)
}

// InstructionsMetrics are the headline metrics of the instructions tier's
// answers, and InstructionsUnits every unit it writes.
var (
	InstructionsMetrics = []string{"instructions/op", "allocs/op"}
	InstructionsUnits   = []string{"instructions/op", "allocs/op", "B/op"}
)
