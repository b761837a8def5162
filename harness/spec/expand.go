package spec

import (
	"fmt"
	"strconv"
	"strings"
)

// A Cell is one point of the matrix: one operation of one workload, built one
// way and run in one environment. Cells are what the harness plans, builds,
// runs and compares.
type Cell struct {
	// ID is readable and stable across runs of the same spec, e.g.
	// "alloc/heap/go1.27.3/arenas/gcflags=-l/env=tcmalloc".
	ID       string
	Workload *Workload
	// Op is the operation (fixed-rate) or request (http) name; empty for
	// gotest, whose benchmarks are chosen by Workload.Bench.
	Op      string
	OpSpec  *Op
	Request *Request

	Toolchain    string // as written in the spec
	GOEXPERIMENT string
	GCFlags      string
	LDFlags      string
	Tags         string
	CGO          string // "", on, off
	GOAMD64      string
	GOARM64      string
	PGO          string
	GODEBUG      string
	GOGC         string
	GOMEMLIMIT   string
	GOMAXPROCS   int // 0: not set
	Env          *Env
	Rate         Rate // zero for gotest
	// MultiRate says the workload lists several rates, so the rate is part
	// of the cell's identity.
	MultiRate bool
	// Measure is the tier: "" for time, MeasureInstructions.
	Measure string
}

// WindowOps is how many ops a run of the cell is scheduled to measure: its
// constant rate times its window, for a fixed-rate or http cell without a
// steps schedule; 0 otherwise.
func (c *Cell) WindowOps() int {
	w := c.Workload
	if w == nil || (w.Kind != KindFixedRate && w.Kind != KindHTTP) || w.Schedule != "" || c.Rate.PerSecond <= 0 {
		return 0
	}
	return int(c.Rate.PerSecond * w.Duration.D().Seconds())
}

// Value returns the cell's value for dimension d ("" when unset).
func (c *Cell) Value(d Dimension) string {
	switch d {
	case DimWorkload:
		return c.Workload.Name
	case DimOp:
		return c.Op
	case DimToolchain:
		return c.Toolchain
	case DimGOEXPERIMENT:
		return c.GOEXPERIMENT
	case DimGCFlags:
		return c.GCFlags
	case DimLDFlags:
		return c.LDFlags
	case DimTags:
		return c.Tags
	case DimCGO:
		return c.CGO
	case DimGOAMD64:
		return c.GOAMD64
	case DimGOARM64:
		return c.GOARM64
	case DimPGO:
		return c.PGO
	case DimGODEBUG:
		return c.GODEBUG
	case DimGOGC:
		return c.GOGC
	case DimGOMEMLIMIT:
		return c.GOMEMLIMIT
	case DimGOMAXPROCS:
		if c.GOMAXPROCS == 0 {
			return ""
		}
		return strconv.Itoa(c.GOMAXPROCS)
	case DimEnv:
		if c.Env == nil {
			return ""
		}
		return c.Env.Name
	case DimRate:
		if c.Rate.PerSecond == 0 {
			return ""
		}
		return c.Rate.String()
	case DimMeasure:
		return c.Measure
	}
	return ""
}

// matches reports whether the cell has every value the selector names.
func (c *Cell) matches(sel Selector) bool {
	for _, kv := range sel {
		d := Dimension(kv.Key)
		if d == DimRate && c.Rate.PerSecond != 0 {
			if r, err := parseRate(kv.Value); err == nil && r == c.Rate.PerSecond {
				continue
			}
		}
		if d == DimMeasure && c.measureMatches(kv.Value) {
			continue
		}
		if c.Value(d) != kv.Value {
			return false
		}
	}
	return true
}

func makeID(c *Cell) string {
	parts := []string{c.Workload.Name}
	if c.Op != "" {
		parts = append(parts, c.Op)
	}
	parts = append(parts, c.Toolchain)
	if c.GOEXPERIMENT != "" {
		parts = append(parts, c.GOEXPERIMENT)
	}
	for _, d := range Dimensions {
		switch d {
		case DimWorkload, DimOp, DimToolchain, DimGOEXPERIMENT:
			continue
		case DimRate:
			if !c.MultiRate {
				continue
			}
		}
		if v := c.Value(d); v != "" {
			parts = append(parts, string(d)+"="+v)
		}
	}
	return strings.Join(parts, "/")
}

// toolchainsOf returns the toolchains a workload builds with.
func (s *Spec) toolchainsOf(w *Workload) []string {
	if len(w.Toolchains) > 0 {
		return w.Toolchains
	}
	return s.Toolchains
}

// effective returns the workload's matrix: the spec's, with each dimension
// the workload lists replacing the global one.
func (s *Spec) effective(w *Workload) Matrix {
	m := s.Matrix
	o := w.Matrix
	if o == nil {
		return m
	}
	pick := func(global, local []string) []string {
		if local != nil {
			return local
		}
		return global
	}
	m.GOEXPERIMENT = pick(m.GOEXPERIMENT, o.GOEXPERIMENT)
	m.GCFlags = pick(m.GCFlags, o.GCFlags)
	m.LDFlags = pick(m.LDFlags, o.LDFlags)
	m.Tags = pick(m.Tags, o.Tags)
	m.CGO = pick(m.CGO, o.CGO)
	m.GOAMD64 = pick(m.GOAMD64, o.GOAMD64)
	m.GOARM64 = pick(m.GOARM64, o.GOARM64)
	m.PGO = pick(m.PGO, o.PGO)
	m.GODEBUG = pick(m.GODEBUG, o.GODEBUG)
	m.GOGC = pick(m.GOGC, o.GOGC)
	m.GOMEMLIMIT = pick(m.GOMEMLIMIT, o.GOMEMLIMIT)
	if o.GOMAXPROCS != nil {
		m.GOMAXPROCS = o.GOMAXPROCS
	}
	if o.Env != nil {
		m.Env = o.Env
	}
	return m
}

func orDefault(vals []string) []string {
	if len(vals) == 0 {
		return []string{""}
	}
	return vals
}

// product is the number of cells a workload expands to before exclusions.
func (s *Spec) product(w *Workload) float64 {
	m := s.effective(w)
	n := float64(len(s.toolchainsOf(w)))
	for _, l := range [][]string{m.GOEXPERIMENT, m.GCFlags, m.LDFlags, m.Tags, m.CGO, m.GOAMD64, m.GOARM64, m.PGO, m.GODEBUG, m.GOGC, m.GOMEMLIMIT} {
		n *= float64(len(orDefault(l)))
	}
	n *= float64(max(1, len(m.GOMAXPROCS)))
	n *= float64(max(1, len(m.Env)))
	n *= float64(max(1, len(w.Rate)))
	n *= float64(max(1, len(w.Measure)))
	n *= float64(max(1, len(w.Ops)+len(w.Requests)))
	return n
}

// An axis is one dimension of the odometer that enumerates cells: n values,
// and how to set the i-th on a cell.
type axis struct {
	n   int
	set func(c *Cell, i int)
}

// Cells expands the matrix into cells, in a stable order (workload, op, rate,
// toolchain, then the other dimensions), leaving out excluded cells. It also
// records a warning for each exclude that matches nothing.
func (s *Spec) Cells() []Cell {
	var cells []Cell
	used := make([]bool, len(s.Exclude))
	for wi := range s.Workloads {
		w := &s.Workloads[wi]
		m := s.effective(w)
		type opRef struct {
			name string
			op   *Op
			req  *Request
		}
		var ops []opRef
		switch w.Kind {
		case KindFixedRate:
			for i := range w.Ops {
				ops = append(ops, opRef{name: w.Ops[i].Name, op: &w.Ops[i]})
			}
		case KindHTTP:
			for i := range w.Requests {
				ops = append(ops, opRef{name: w.Requests[i].Name, req: &w.Requests[i]})
			}
		default:
			ops = []opRef{{}}
		}
		rates := []Rate(w.Rate)
		if w.Kind == KindGoTest || len(rates) == 0 {
			rates = []Rate{{}}
		}
		procs := m.GOMAXPROCS
		if len(procs) == 0 {
			procs = []int{0}
		}
		envs := []*Env{nil}
		if len(m.Env) > 0 {
			envs = envs[:0]
			for i := range m.Env {
				envs = append(envs, &m.Env[i])
			}
		}
		str := func(vals []string, set func(c *Cell, v string)) axis {
			vals = orDefault(vals)
			return axis{len(vals), func(c *Cell, i int) { set(c, vals[i]) }}
		}
		tiers := measureValues(w)
		axes := []axis{
			{len(ops), func(c *Cell, i int) { c.Op, c.OpSpec, c.Request = ops[i].name, ops[i].op, ops[i].req }},
			{len(rates), func(c *Cell, i int) { c.Rate = rates[i] }},
			{len(tiers), func(c *Cell, i int) { c.Measure = cellMeasure(tiers[i]) }},
			str(s.toolchainsOf(w), func(c *Cell, v string) { c.Toolchain = v }),
			str(m.GOEXPERIMENT, func(c *Cell, v string) { c.GOEXPERIMENT = v }),
			str(m.GCFlags, func(c *Cell, v string) { c.GCFlags = v }),
			str(m.LDFlags, func(c *Cell, v string) { c.LDFlags = v }),
			str(m.Tags, func(c *Cell, v string) { c.Tags = v }),
			str(m.CGO, func(c *Cell, v string) { c.CGO = v }),
			str(m.GOAMD64, func(c *Cell, v string) { c.GOAMD64 = v }),
			str(m.GOARM64, func(c *Cell, v string) { c.GOARM64 = v }),
			str(m.PGO, func(c *Cell, v string) { c.PGO = v }),
			str(m.GODEBUG, func(c *Cell, v string) { c.GODEBUG = v }),
			str(m.GOGC, func(c *Cell, v string) { c.GOGC = v }),
			str(m.GOMEMLIMIT, func(c *Cell, v string) { c.GOMEMLIMIT = v }),
			{len(procs), func(c *Cell, i int) { c.GOMAXPROCS = procs[i] }},
			{len(envs), func(c *Cell, i int) { c.Env = envs[i] }},
		}
		empty := false
		for _, a := range axes {
			empty = empty || a.n == 0
		}
		// An odometer over the axes: the last axis turns fastest.
		idx := make([]int, len(axes))
		for !empty {
			c := Cell{Workload: w, MultiRate: len(w.Rate) > 1}
			for k, a := range axes {
				a.set(&c, idx[k])
			}
			// The instructions tier runs closed loop: one cell whatever
			// the rates, with none of them.
			skip := c.Instructions() && idx[1] > 0
			if c.Instructions() {
				c.Rate, c.MultiRate = Rate{}, false
			}
			excluded := false
			for i, sel := range s.Exclude {
				if !skip && c.matches(sel) {
					used[i] = true
					excluded = true
				}
			}
			if !excluded && !skip {
				c.ID = makeID(&c)
				cells = append(cells, c)
			}
			k := len(axes) - 1
			for ; k >= 0; k-- {
				if idx[k]++; idx[k] < axes[k].n {
					break
				}
				idx[k] = 0
			}
			if k < 0 {
				break
			}
		}
	}
	s.Warnings = s.Warnings[:0]
	for i, u := range used {
		if !u {
			p := s.PosOf(index("exclude", i))
			s.Warnings = append(s.Warnings, fmt.Sprintf("%s:%d:%d: exclude[%d] matches no cell", s.File, p.Line, p.Col, i))
		}
	}
	return cells
}

// UsedDimensions lists the dimensions (besides workload and op) that have a
// non-default value in at least one cell: these become bench.txt
// configuration keys and plan columns.
func UsedDimensions(cells []Cell) []Dimension {
	var out []Dimension
	for _, d := range Dimensions {
		if d == DimWorkload || d == DimOp {
			continue
		}
		for i := range cells {
			if cells[i].Value(d) != "" {
				out = append(out, d)
				break
			}
		}
	}
	return out
}
