package plan

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/perfharness/harness/harness/escape"
	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/spec"
	"github.com/perfharness/harness/harness/toolchain"
)

// baseEnvKeys are the variables of the caller's environment a workload
// process keeps (see runEnv); everything else in its environment is the
// cell's own setting.
func baseEnvKeys() []string { return []string{"PATH", "HOME", "TMPDIR", "LANG", "USER"} }

// SplitEnv splits a cell's run environment into the base variables every
// cell shares and the cell's own settings (GODEBUG, LD_PRELOAD, ...).
func SplitEnv(env []string) (base, settings []string) {
	keys := baseEnvKeys()
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if slices.Contains(keys, k) {
			base = append(base, kv)
		} else {
			settings = append(settings, kv)
		}
	}
	return base, settings
}

// A cellJSON is one cell of `harness plan --json`.
type cellJSON struct {
	ID           string         `json:"id"`
	Workload     string         `json:"workload"`
	Op           string         `json:"op"`
	Kind         string         `json:"kind"`
	Toolchain    string         `json:"toolchain"`
	GoVersion    string         `json:"go_version"`
	GOEXPERIMENT string         `json:"goexperiment"`
	Experiments  []string       `json:"experiments"`
	GCFlags      string         `json:"gcflags"`
	LDFlags      string         `json:"ldflags"`
	Tags         string         `json:"tags"`
	CGO          string         `json:"cgo,omitempty"`
	GOAMD64      string         `json:"goamd64"`
	GOARM64      string         `json:"goarm64,omitempty"`
	PGO          string         `json:"pgo,omitempty"`
	GODEBUG      string         `json:"godebug"`
	GOGC         string         `json:"gogc,omitempty"`
	GOMEMLIMIT   string         `json:"gomemlimit,omitempty"`
	GOMAXPROCS   int            `json:"gomaxprocs,omitempty"`
	Env          string         `json:"env"`
	Rate         string         `json:"rate,omitempty"`
	Requires     []string       `json:"requires"`
	Build        string         `json:"build,omitempty"`
	BuildFlags   []string       `json:"build_flags"`
	BuildEnv     []string       `json:"build_env"`
	RunEnv       []string       `json:"run_env"`
	Status       results.Status `json:"status"`
	Reason       string         `json:"reason"` // "" when planned
}

type planJSON struct {
	Spec       string                 `json:"spec"`
	Name       string                 `json:"name"`
	Host       host.Fingerprint       `json:"host"`
	Toolchains []*toolchain.Toolchain `json:"toolchains"`
	Dimensions []spec.Dimension       `json:"dimensions"`
	Builds     int                    `json:"builds"`
	Cells      []cellJSON             `json:"cells"`
	Warnings   []string               `json:"warnings"`
}

// JSON is the JSON form of the plan, as `harness plan --json` prints it:
// stable keys, every list present (empty rather than null).
func (p *Plan) JSON() any {
	out := planJSON{
		Spec: p.Spec.File, Name: p.Spec.Name, Host: p.Host, Toolchains: p.Toolchains,
		Dimensions: p.Dimensions, Builds: len(p.Builds), Warnings: orEmpty(p.Warnings),
		Cells: []cellJSON{},
	}
	for _, c := range p.Cells {
		j := cellJSON{
			ID: c.ID, Workload: c.Workload.Name, Op: c.Op, Kind: c.Workload.Kind,
			Toolchain: c.Toolchain, GOEXPERIMENT: c.GOEXPERIMENT, Experiments: orEmpty(c.Experiments),
			GCFlags: c.GCFlags, LDFlags: c.LDFlags, Tags: c.Tags, CGO: c.CGO, GOAMD64: c.GOAMD64, GOARM64: c.GOARM64,
			PGO: c.PGO, GODEBUG: c.GODEBUG, GOGC: c.GOGC, GOMEMLIMIT: c.GOMEMLIMIT, GOMAXPROCS: c.GOMAXPROCS,
			Requires: orEmpty(c.Requires), RunEnv: orEmpty(c.RunEnv), Status: c.Status, Reason: c.Reason,
			BuildFlags: []string{}, BuildEnv: []string{},
		}
		if c.TC != nil {
			j.GoVersion = c.TC.Version
		}
		if c.Env != nil {
			j.Env = c.Env.Name
		}
		if c.Rate.PerSecond > 0 {
			j.Rate = c.Rate.String()
		}
		if c.Build != nil {
			j.Build, j.BuildFlags, j.BuildEnv = c.Build.Key, c.Build.Flags, c.Build.Env
		}
		out.Cells = append(out.Cells, j)
	}
	return out
}

// orEmpty is s, or an empty list for nil (JSON [] rather than null).
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// significantBuildEnv drops the variables every build shares (PATH, HOME,
// caches) so the text plan shows what distinguishes one build from another.
func significantBuildEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOEXPERIMENT", "GOAMD64", "GOARM64", "GOTOOLCHAIN", "GOWORK", "GOENV", "GOFLAGS", "CGO_ENABLED", "GOROOT":
			out = append(out, kv)
		}
	}
	return out
}

// WriteText writes the plan for people, as `harness plan` prints it: the
// counts, the host, the toolchains, the questions the spec asks, the
// builds and every cell with its status; verbose shows every variable of
// the build and run environments, not only what tells them apart.
func (p *Plan) WriteText(w io.Writer, verbose bool) {
	planned := 0
	for _, c := range p.Cells {
		if c.Status == Planned {
			planned++
		}
	}
	runs := fmt.Sprintf("%d runs per cell", p.Spec.Runs.Count)
	if r := p.Spec.Runs; r.Auto {
		runs = fmt.Sprintf("runs per cell: auto, %d to %d until each answer's interval is within ±%s", r.Count, r.MaxCount, r.CITarget)
		if r.MaxTime > 0 {
			runs += fmt.Sprintf(" or %v is spent", r.MaxTime)
		}
	}
	fmt.Fprintf(w, "plan %s (%s): %d cells, %d planned, %d skipped; %d builds; %s\n",
		escape.Line(p.Spec.Name), escape.Line(p.Spec.File), len(p.Cells), planned, len(p.Cells)-planned, len(p.Builds), runs)
	e := p.EstimateRuns()
	if e.Max == e.Min {
		fmt.Fprintf(w, "estimated duration: %s of runs, builds not included\n", roundDuration(e.Min))
	} else {
		fmt.Fprintf(w, "estimated duration: %s to %s of runs, builds not included\n", roundDuration(e.Min), roundDuration(e.Max))
	}
	if r := p.Spec.Runs; r.Auto && r.MaxTime > 0 && e.Min > r.MaxTime.D() {
		fmt.Fprintf(w, "note: count: auto's first pass (%d runs per cell, about %s) already exceeds max_time %v: no cell gets more runs than that\n",
			r.Count, roundDuration(e.Min), r.MaxTime)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "host: %s, %s GOAMD64=%s, %s", p.Host.Brand, p.Host.Arch, cmp.Or(p.Host.GOAMD64, "-"), p.Host.CPUsLine())
	if len(p.Host.Warnings) > 0 {
		fmt.Fprintf(w, "; %d noisy-host warnings (see harness cpu)", len(p.Host.Warnings))
	}
	fmt.Fprintf(w, "\n\ntoolchains:\n")
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, tc := range p.Toolchains {
		row(tw, tc.Name, tc.Version, tc.GOROOT, "default experiments: "+strings.Join(tc.Defaults, ","))
	}
	tw.Flush()
	p.writeQuestions(w)
	p.writeBuilds(w, verbose)
	p.writeCells(w, verbose)
	if !verbose {
		fmt.Fprintf(w, "\n(-v shows every cell's complete build and run environment; --json gives all of it)\n")
	}
}

func (p *Plan) writeQuestions(w io.Writer) {
	fmt.Fprintf(w, "\nquestions (one answer per combination of what is held fixed):\n")
	points := p.Spec.Points()
	cells := p.Spec.Cells()
	if len(p.Spec.Questions()) == 0 {
		fmt.Fprintf(w, "  none: the report has no Answers (harness gate compares runs)\n")
	}
	for _, q := range p.Spec.Questions() {
		derived := ""
		if q.Derived {
			derived = ", derived"
		}
		var base []string
		for _, kv := range q.Base {
			base = append(base, kv.Key+"="+cmp.Or(kv.Value, "default"))
		}
		n := len(q.Groups(points))
		answers := "answers"
		if n == 1 {
			answers = "answer"
		}
		fmt.Fprintf(w, "  %s\n    by %s, base %s; %d %s%s\n", escape.Line(q.Title), escape.Line(strings.Join(q.By, "×")), escape.Line(strings.Join(base, ",")), n, answers, derived)
		if note := tailNote(&q, points, cells); note != "" {
			fmt.Fprintf(w, "    note: %s\n", escape.Line(note))
		}
	}
}

// tailNote says which of an open-loop question's metrics its runs hold too
// few ops to judge (results.TailImprecise, the rule of the gate and the
// Answers), from the fewest ops a run of its constant-rate cells is
// scheduled (rate × duration), and how long a window would judge them.
func tailNote(q *spec.Question, points []spec.Point, cells []spec.Cell) string {
	fewest, at := 0, spec.Rate{}
	var units []string
	for _, g := range q.Groups(points) {
		for _, cfg := range g.Configs {
			for _, k := range cfg.Points {
				c := &cells[k]
				if ops := c.WindowOps(); ops > 0 && (fewest == 0 || ops < fewest) {
					fewest, at, units = ops, c.Rate, q.Units(&g, points)
				}
			}
		}
	}
	var names []string
	need := 0
	for _, u := range units {
		tidy, _ := results.TidyUnit(u)
		if results.TailImprecise(tidy, fewest, true, 0) == "" {
			continue
		}
		name := tidy
		qt, ok := results.QuantileOf(tidy)
		if ok {
			name = "P" + strings.TrimPrefix(strings.TrimSuffix(tidy, "-sec"), "p")
		} else {
			qt = 0.99 // the open-loop mean is held to P99's rule
		}
		names = append(names, name)
		need = max(need, results.OpsFor(results.DefaultTailSamples, qt))
	}
	if len(names) == 0 {
		return ""
	}
	window := time.Duration(math.Ceil(float64(need)/at.PerSecond*10) / 10 * float64(time.Second))
	return fmt.Sprintf("%s will be shown, not judged: a run holds %d ops (%s), and judging it takes %d, %d beyond it (a %v window at %s)",
		strings.Join(names, ", "), fewest, at, need, results.DefaultTailSamples, window, at)
}

func (p *Plan) writeBuilds(w io.Writer, verbose bool) {
	fmt.Fprintf(w, "\nbuilds:\n")
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, b := range p.Builds {
		env := b.Env
		if !verbose {
			env = significantBuildEnv(env)
		}
		row(tw, b.Key, fmt.Sprintf("%d cells", b.CellCount), strings.Join(env, " "), strings.Join(b.Flags, " "))
	}
	tw.Flush()
}

func (p *Plan) writeCells(w io.Writer, verbose bool) {
	fmt.Fprintf(w, "\ncells:\n")
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	row(tw, "STATUS", "CELL", "GO", "RUN ENV", "NOTE")
	for _, c := range p.Cells {
		goVersion := ""
		if c.TC != nil {
			goVersion = c.TC.Version
		}
		runEnv := c.RunEnv
		if !verbose {
			_, runEnv = SplitEnv(runEnv)
		}
		note := c.Reason
		if c.Status == Planned && c.Build != nil {
			note = "build " + c.Build.Key
		}
		row(tw, string(c.Status), c.ID, goVersion, strings.Join(runEnv, " "), note)
	}
	tw.Flush()
}

// row writes one indented table row, each field escaped to one line: a tab
// or a newline in a value from the spec would break the table's columns.
func row(w io.Writer, fields ...string) {
	for i, f := range fields {
		fields[i] = escape.Line(f)
	}
	fmt.Fprintf(w, "  %s\n", strings.Join(fields, "\t"))
}

// roundDuration keeps an estimate to the precision it has.
func roundDuration(d time.Duration) time.Duration {
	if d >= time.Minute {
		return d.Round(10 * time.Second)
	}
	return d.Round(time.Second)
}
