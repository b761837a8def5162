package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/escape"
	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/spec"
	"github.com/perfharness/harness/harness/toolchain"
)

func cmdCPU(ctx context.Context, e *env, args []string) int {
	fs := e.flags()
	asJSON := fs.Bool("json", false, "print the fingerprint as JSON (stable keys)")
	if _, code, ok := e.parse(fs, args, 0, 0); !ok {
		return code
	}
	f := host.Detect()
	if *asJSON {
		return e.writeJSON(f)
	}
	if err := host.WriteTable(e.stdout, f); err != nil {
		e.errorf("%v", err)
		return ExitIncomplete
	}
	return ExitOK
}

func (e *env) writeJSON(v any) int {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		e.errorf("%v", err)
		return ExitIncomplete
	}
	return ExitOK
}

func cmdVersion(ctx context.Context, e *env, args []string) int {
	fs := e.flags()
	if _, code, ok := e.parse(fs, args, 0, 0); !ok {
		return code
	}
	fmt.Fprintln(e.stdout, Version())
	return ExitOK
}

// Version describes this harness binary: module version, VCS revision when
// stamped, and the Go that built it.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "harness (unknown version)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
			if len(rev) > 12 {
				rev = rev[:12]
			}
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	out := "harness " + v
	if rev != "" {
		out += " " + rev + dirty
	}
	return out + " " + bi.GoVersion
}

// loadPlan loads and plans a spec, reporting errors; ok is false when the
// command must stop with code.
func (e *env) loadPlan(ctx context.Context, path string, h host.Fingerprint, progress func(string)) (*plan.Plan, int, bool) {
	s, err := spec.Load(path)
	if err != nil {
		printErr(e.stderr, err)
		if os.IsNotExist(err) {
			return nil, ExitUsage, false
		}
		return nil, ExitUsage, false
	}
	if errs := compare.CheckSpec(s); len(errs) > 0 {
		printErr(e.stderr, errs)
		return nil, ExitUsage, false
	}
	p, err := plan.Make(ctx, s, h, plan.Options{Resolver: &toolchain.Resolver{Progress: progress}})
	if err != nil {
		printErr(e.stderr, err)
		if ctx.Err() != nil {
			return nil, ExitIncomplete, false
		}
		return nil, ExitUsage, false
	}
	return p, 0, true
}

func cmdPlan(ctx context.Context, e *env, args []string) int {
	fs := e.flags()
	asJSON := fs.Bool("json", false, "print the plan as JSON")
	verbose := fs.Bool("v", false, "show every cell's complete build and run environment")
	pos, code, ok := e.parse(fs, args, 1, 1)
	if !ok {
		return code
	}
	p, code, ok := e.loadPlan(ctx, pos[0], host.Detect(), func(msg string) { fmt.Fprintf(e.stderr, "%s\n", msg) })
	if !ok {
		return code
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(e.stderr, "harness: warning: %s\n", w)
	}
	if *asJSON {
		return e.writeJSON(PlanJSON(p))
	}
	writePlan(e.stdout, p, *verbose)
	return ExitOK
}

// A planCellJSON is one cell of `harness plan --json`.
type planCellJSON struct {
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
	Cells      []planCellJSON         `json:"cells"`
	Warnings   []string               `json:"warnings"`
}

// PlanJSON is the JSON form of a plan, as `harness plan --json` prints it.
func PlanJSON(p *plan.Plan) any {
	out := planJSON{
		Spec: p.Spec.File, Name: p.Spec.Name, Host: p.Host, Toolchains: p.Toolchains,
		Dimensions: p.Dimensions, Builds: len(p.Builds), Warnings: p.Warnings,
		Cells: []planCellJSON{},
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, c := range p.Cells {
		j := planCellJSON{
			ID: c.ID, Workload: c.Workload.Name, Op: c.Op, Kind: c.Workload.Kind,
			Toolchain: c.Toolchain, GOEXPERIMENT: c.GOEXPERIMENT, Experiments: c.Experiments,
			GCFlags: c.GCFlags, LDFlags: c.LDFlags, Tags: c.Tags, CGO: c.CGO, GOAMD64: c.GOAMD64, GOARM64: c.GOARM64,
			PGO: c.PGO, GODEBUG: c.GODEBUG, GOGC: c.GOGC, GOMEMLIMIT: c.GOMEMLIMIT, GOMAXPROCS: c.GOMAXPROCS,
			Requires: c.Requires, RunEnv: c.RunEnv, Status: c.Status, Reason: c.Reason,
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
		if j.Requires == nil {
			j.Requires = []string{}
		}
		if j.RunEnv == nil {
			j.RunEnv = []string{}
		}
		if j.Experiments == nil {
			j.Experiments = []string{}
		}
		out.Cells = append(out.Cells, j)
	}
	return out
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

func writePlan(w io.Writer, p *plan.Plan, verbose bool) {
	planned, skipped := 0, 0
	for _, c := range p.Cells {
		if c.Status == plan.Planned {
			planned++
		} else {
			skipped++
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
		escape.Line(p.Spec.Name), escape.Line(p.Spec.File), len(p.Cells), planned, skipped, len(p.Builds), runs)
	if e := p.EstimateRuns(); e.Max == e.Min {
		fmt.Fprintf(w, "estimated duration: %s of runs, builds not included\n\n", roundDuration(e.Min))
	} else {
		fmt.Fprintf(w, "estimated duration: %s to %s of runs, builds not included\n\n", roundDuration(e.Min), roundDuration(e.Max))
	}
	fmt.Fprintf(w, "host: %s, %s GOAMD64=%s, %d logical cores", p.Host.Brand, p.Host.Arch, or(p.Host.GOAMD64, "-"), p.Host.LogicalCores)
	if len(p.Host.Warnings) > 0 {
		fmt.Fprintf(w, "; %d noisy-host warnings (see harness cpu)", len(p.Host.Warnings))
	}
	fmt.Fprintf(w, "\n\ntoolchains:\n")
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, tc := range p.Toolchains {
		row(tw, tc.Name, tc.Version, tc.GOROOT, "default experiments: "+strings.Join(tc.Defaults, ","))
	}
	tw.Flush()

	fmt.Fprintf(w, "\nquestions (one answer per combination of what is held fixed):\n")
	points := p.Spec.Points()
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
			base = append(base, kv.Key+"="+or(kv.Value, "default"))
		}
		n := len(q.Groups(points))
		answers := "answers"
		if n == 1 {
			answers = "answer"
		}
		fmt.Fprintf(w, "  %s\n    by %s, base %s; %d %s%s\n", escape.Line(q.Title), escape.Line(strings.Join(q.By, "×")), escape.Line(strings.Join(base, ",")), n, answers, derived)
	}

	fmt.Fprintf(w, "\nbuilds:\n")
	tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, b := range p.Builds {
		env := b.Env
		if !verbose {
			env = significantBuildEnv(env)
		}
		row(tw, b.Key, fmt.Sprintf("%d cells", b.CellCount), strings.Join(env, " "), strings.Join(b.Flags, " "))
	}
	tw.Flush()

	fmt.Fprintf(w, "\ncells:\n")
	tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	row(tw, "STATUS", "CELL", "GO", "RUN ENV", "NOTE")
	for _, c := range p.Cells {
		goVersion := ""
		if c.TC != nil {
			goVersion = c.TC.Version
		}
		runEnv := c.RunEnv
		if !verbose {
			runEnv = significantRunEnv(runEnv)
		}
		note := c.Reason
		if c.Status == plan.Planned && c.Build != nil {
			note = "build " + c.Build.Key
		}
		row(tw, string(c.Status), c.ID, goVersion, strings.Join(runEnv, " "), note)
	}
	tw.Flush()
	if !verbose {
		fmt.Fprintf(w, "\n(-v shows every cell's complete build and run environment; --json gives all of it)\n")
	}
}

// row writes one indented table row, each field escaped to one line: a tab
// or a newline in a value from the spec would break the table's columns.
func row(w io.Writer, fields ...string) {
	for i, f := range fields {
		fields[i] = escape.Line(f)
	}
	fmt.Fprintf(w, "  %s\n", strings.Join(fields, "\t"))
}

func significantRunEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PATH", "HOME", "TMPDIR", "LANG", "USER":
		default:
			out = append(out, kv)
		}
	}
	return out
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// roundDuration keeps an estimate to the precision it has.
func roundDuration(d time.Duration) time.Duration {
	if d >= time.Minute {
		return d.Round(10 * time.Second)
	}
	return d.Round(time.Second)
}
