package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/pprof/profile"
	"gonum.org/v1/plot/vg"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/results"
)

// Options configure a report.
type Options struct {
	// ReportsDir is the folder reports go in, as reports/<run-id>/
	// (default "reports"). Nothing is written outside it.
	ReportsDir string
	// Compare chooses the tables (benchstat's -col, -row, -filter ...).
	Compare compare.Options
	// NoPNG skips the PNG copies of the plots (the HTML page uses SVG).
	NoPNG bool
	// TopN bounds the functions listed per profile (default 15).
	TopN int
}

// Files written into reports/<run-id>/.
const (
	MarkdownFile = "report.md"
	TextFile     = "report.txt"
	HTMLFile     = "index.html"
	CSVFile      = "tables.csv"
	PlotsDir     = "plots"
)

// A Model is everything a report shows, computed once and rendered as
// text, Markdown and HTML.
type Model struct {
	Run       *Run
	Generated time.Time
	Compare   *compare.Report // nil when there are no benchmark results
	// Questions are the spec's questions with their answers: the report
	// opens with them.
	Questions []*QuestionReport
	// HTTP summarizes the http cells: status codes, errors, connections
	// and each process's runtime figures.
	HTTP []HTTPRow
	// Instr describes the instructions cells: how they were counted and
	// what valgrind's virtual CPU hid.
	Instr []InstrRow
	// Sweeps are the rate sweeps: latency against throughput, and the
	// capacity within the workload's SLO.
	Sweeps   []*Sweep
	Plots    []*Plot
	Profiles []*CellProfiles
	Diffs    []*DiffSection
	Warnings []string
}

// CellProfiles are the profile tops of one cell.
type CellProfiles struct {
	Cell string
	Tops []*Top
}

// A DiffSection is a compared pair of cells: the benchmark changes that
// were significant, next to the functions whose profile share moved.
type DiffSection struct {
	Base, Cand string
	Changes    []compare.Comparison
	Diffs      []*ProfileDiff
}

// Render reads the results folder and writes its report to
// ReportsDir/<run-id>/: report.md, report.txt, index.html and plots/. It
// reads only the folder's files, so it runs anywhere, later. The new
// report replaces an old one only once it is complete.
func Render(ctx context.Context, resultsDir string, opts Options) (outDir string, err error) {
	run, err := Load(resultsDir)
	if err != nil {
		return "", err
	}
	m, err := Build(ctx, run, opts)
	if err != nil {
		return "", err
	}
	return m.Write(opts.ReportsDir)
}

// Write writes the model's files into reportsDir/<run-id>/, through a
// temporary folder beside it renamed into place.
func (m *Model) Write(reportsDir string) (string, error) {
	if reportsDir == "" {
		reportsDir = "reports"
	}
	id := m.Run.Manifest.RunID
	if !results.ValidRunID(id) {
		return "", fmt.Errorf("run id %q cannot name a report folder", id)
	}
	if err := os.MkdirAll(reportsDir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(reportsDir, "."+id+".tmp")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	write := func(name string, data []byte) error {
		return os.WriteFile(filepath.Join(tmp, name), data, 0o644)
	}
	var md, txt, html bytes.Buffer
	m.WriteMarkdown(&md)
	m.WriteText(&txt)
	if err := m.WriteHTML(&html); err != nil {
		return "", err
	}
	if err := errors.Join(write(MarkdownFile, md.Bytes()), write(TextFile, txt.Bytes()), write(HTMLFile, html.Bytes())); err != nil {
		return "", err
	}
	if m.Compare != nil { // the comparison tables for a spreadsheet or a script
		var csv bytes.Buffer
		if err := m.Compare.WriteCSV(&csv); err != nil {
			return "", err
		}
		if err := write(CSVFile, csv.Bytes()); err != nil {
			return "", err
		}
	}
	if err := os.Mkdir(filepath.Join(tmp, PlotsDir), 0o755); err != nil {
		return "", err
	}
	for _, p := range m.Plots {
		if err := write(filepath.Join(PlotsDir, p.Name+".svg"), p.SVG); err != nil {
			return "", err
		}
		if p.PNG != nil {
			if err := write(filepath.Join(PlotsDir, p.Name+".png"), p.PNG); err != nil {
				return "", err
			}
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	out := filepath.Join(reportsDir, id)
	old := ""
	if _, err := os.Lstat(out); err == nil {
		old = filepath.Join(reportsDir, "."+id+".old"+fmt.Sprint(time.Now().UnixNano()))
		if err := os.Rename(out, old); err != nil {
			return "", err
		}
	}
	if err := os.Rename(tmp, out); err != nil {
		if old != "" {
			os.Rename(old, out)
		}
		return "", err
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return out, nil
}

// compareTables compares a run's results. Without an explicit column
// projection, each workload gets its own: the dimensions that vary within
// it (allocators for one workload, toolchains and experiments for another),
// since one projection for a whole tour of questions fits none of them.
func compareTables(set *compare.Set, opts compare.Options) (*compare.Report, error) {
	if opts.Col != "" {
		return set.Compare(opts)
	}
	_, subsets := set.Split("workload")
	if len(subsets) <= 1 {
		return set.Compare(opts)
	}
	var merged *compare.Report
	var cols []string
	for _, sub := range subsets {
		rep, err := sub.Compare(opts)
		if err != nil {
			return nil, err
		}
		for _, k := range strings.Split(rep.Options.Col, ",") {
			if k != "" && !slices.Contains(cols, k) {
				cols = append(cols, k)
			}
		}
		if merged == nil {
			merged = rep
			continue
		}
		merged.Tables = append(merged.Tables, rep.Tables...)
		merged.Warnings = append(merged.Warnings, rep.Warnings...)
	}
	merged.Options.Col = strings.Join(cols, ",")
	return merged, nil
}

// Build computes the report of a loaded run: tables, plots and profiles.
func Build(ctx context.Context, run *Run, opts Options) (*Model, error) {
	if opts.TopN <= 0 {
		opts.TopN = 15
	}
	m := &Model{Run: run, Generated: time.Now().UTC()}
	m.Warnings = append(m.Warnings, run.Warnings...)
	if pr := run.Manifest.Report; opts.Compare.Col == "" && opts.Compare.Row == "" && opts.Compare.Table == "" && opts.Compare.Filter == "" {
		// The spec's own projection, unless the command line gave one.
		opts.Compare.Col, opts.Compare.Row, opts.Compare.Table, opts.Compare.Filter = pr.Col, pr.Row, pr.Table, pr.Filter
	}
	if opts.Compare.Filter == "" {
		// Build time and binary size are shown per build (Builds), not
		// as benchmarks compared across cells.
		opts.Compare.Filter = "-.name:Build"
	}
	if run.Set != nil && run.Set.Len() > 0 {
		rep, err := compareTables(run.Set, opts.Compare)
		if err != nil {
			return nil, err
		}
		m.Compare = rep
	}
	alpha := opts.Compare.Alpha
	if alpha == 0 {
		alpha = run.Manifest.Gate.Alpha
	}
	m.Sweeps = m.sweeps()
	m.answers(alpha, opts.Compare.Confidence)
	m.HTTP = m.httpRows()
	m.Instr = m.instrRows()
	jobs := m.plotJobs()
	plots := make([]*Plot, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			plots[i], errs[i] = j(!opts.NoPNG)
		}()
	}
	m.profiles(opts.TopN)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			m.Warnings = append(m.Warnings, fmt.Sprintf("plot %d: %v", i, err))
			continue
		}
		m.Plots = append(m.Plots, plots[i])
	}
	return m, nil
}

type plotJob func(png bool) (*Plot, error)

var unsafeFile = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// fitTitle shortens a title to at most n runes, at a word, with an
// ellipsis: a plot's title must fit its width.
func fitTitle(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n-1])
	if i := strings.LastIndex(cut, " "); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

// plotName makes a file name for a plot: safe characters, unique.
func plotName(used map[string]bool, parts ...string) string {
	s := unsafeFile.ReplaceAllString(strings.Join(parts, "-"), "_")
	s = strings.Trim(s, "._-")
	if len(s) > 80 {
		s = s[:80]
	}
	if s == "" {
		s = "plot"
	}
	name := s
	for i := 2; used[name]; i++ {
		name = fmt.Sprintf("%s-%d", s, i)
	}
	used[name] = true
	return name
}

const plotW, plotH = 8 * vg.Inch, 4.5 * vg.Inch

// plotJobs lists the figures: per benchmark the latency spectrum and
// timeline of its cells, a bar chart per headline table, and the rate plot.
// plotGroups decides which cells share a latency plot: those that share a
// comparison table, so each plot answers the question its table asks (one
// line per allocator at one rate, say). A group is the workload, the op
// unless ops are compared, and the value of every configuration key that
// varies within the workload but is not compared. A line is labelled by the
// compared values, or by the cell id when nothing is compared.
func (m *Model) legacyPlotGroups() (groups []string, byGroup map[string][]*Cell, labels map[*Cell]string) {
	var colKeys []string
	if m.Compare != nil {
		for _, k := range strings.Split(m.Compare.Options.Col, ",") {
			if k = strings.TrimSpace(k); k != "" {
				colKeys = append(colKeys, strings.SplitN(k, "@", 2)[0])
			}
		}
	}
	opCompared := slices.Contains(colKeys, "/op")
	// Keys whose value varies within a workload.
	varies := map[string]map[string]bool{}
	values := map[string]map[string]string{}
	for _, c := range m.Run.Cells {
		for _, kv := range c.Config {
			if v, seen := values[c.Workload][kv.Key]; seen && v != kv.Value {
				if varies[c.Workload] == nil {
					varies[c.Workload] = map[string]bool{}
				}
				varies[c.Workload][kv.Key] = true
			}
			if values[c.Workload] == nil {
				values[c.Workload] = map[string]string{}
			}
			values[c.Workload][kv.Key] = kv.Value
		}
	}
	byGroup = map[string][]*Cell{}
	labels = map[*Cell]string{}
	for _, c := range m.Run.Cells {
		if c.Latency == nil {
			continue
		}
		g := c.Workload
		if c.Op != "" && !opCompared {
			g += "/" + c.Op
		}
		var label []string
		if c.Op != "" && opCompared {
			label = append(label, c.Op)
		}
		for _, kv := range c.Config {
			switch {
			case kv.Key == "workload" || !varies[c.Workload][kv.Key]:
			case slices.Contains(colKeys, kv.Key):
				label = append(label, kv.Key+"="+kv.Value)
			default:
				g += " " + kv.Key + "=" + kv.Value
			}
		}
		if byGroup[g] == nil {
			groups = append(groups, g)
		}
		byGroup[g] = append(byGroup[g], c)
		labels[c] = strings.Join(label, " ")
		if labels[c] == "" {
			labels[c] = c.Label
		}
	}
	return groups, byGroup, labels
}

// A latencyGroup is the cells drawn on one latency plot.
type latencyGroup struct {
	name, title string // file name stem, and what the plot shows
	cells       []*Cell
	labels      map[*Cell]string
}

// plotGroups puts the cells of each answer on one latency plot, labelled
// by configuration (every allocator on one spectrum). Cells that no answer
// covers get a plot per workload and op; a run without questions falls
// back to the comparison tables' grouping.
func (m *Model) plotGroups() []*latencyGroup {
	var out []*latencyGroup
	if len(m.Questions) == 0 {
		groups, byGroup, labels := m.legacyPlotGroups()
		for _, g := range groups {
			out = append(out, &latencyGroup{name: g, title: g, cells: byGroup[g], labels: labels})
		}
		return out
	}
	covered := map[*Cell]bool{}
	for _, q := range m.Questions {
		for _, a := range q.Answers {
			if a.Bench != "" {
				continue
			}
			g := &latencyGroup{name: q.Slug + " " + a.Fixed, title: a.Fixed + " · " + q.Title, labels: map[*Cell]string{}}
			for i, cs := range a.cells {
				for _, c := range cs {
					if _, dup := g.labels[c]; c.Latency != nil && !dup {
						g.cells = append(g.cells, c)
						g.labels[c] = a.Configs[i]
						covered[c] = true
					}
				}
			}
			if len(g.cells) > 0 {
				out = append(out, g)
			}
		}
	}
	for _, c := range m.Run.Cells {
		if c.Latency != nil && !covered[c] {
			g := c.Workload
			if c.Op != "" {
				g += "/" + c.Op
			}
			out = append(out, &latencyGroup{name: c.ID, title: g, cells: []*Cell{c}, labels: map[*Cell]string{c: c.Label}})
		}
	}
	return out
}

func (m *Model) plotJobs() []plotJob {
	var jobs []plotJob
	used := map[string]bool{}
	for _, lg := range m.plotGroups() {
		g, labels := lg.title, lg.labels
		var spec []spectrumSeries
		var tl []timelineSeries
		for _, c := range lg.cells {
			spec = append(spec, spectrumSeries{label: labels[c], intended: Spectrum(c.Latency.Total[TagIntended]), actual: Spectrum(c.Latency.Total[TagActual])})
			ts := timelineSeries{label: labels[c], gcs: c.GCs, gcPerSec: c.GCPerSecond}
			for _, iv := range c.Latency.Timeline() {
				ts.at = append(ts.at, (iv.Start + iv.Length/2).Seconds())
				ts.p50 = append(ts.p50, iv.P50.Seconds())
				ts.p99 = append(ts.p99, iv.P99.Seconds())
			}
			tl = append(tl, ts)
		}
		name := plotName(used, "latency", lg.name)
		title := fitTitle(g, 64) + ": latency spectrum"
		jobs = append(jobs, func(png bool) (*Plot, error) {
			p, err := spectrumPlot(title, spec)
			if err != nil {
				return nil, err
			}
			return render(p, name, title, "Latency by percentile over all valid runs (x: 1/(1-p), log). Solid: from the intended start (coordinated-omission correct); dotted: from the actual start, what a closed-loop tool would report.", plotW, plotH, png)
		})
		tname := plotName(used, "timeline", lg.name)
		ttitle := fitTitle(g, 64) + ": latency over time"
		jobs = append(jobs, func(png bool) (*Plot, error) {
			p, err := timelinePlot(ttitle, tl)
			if err != nil {
				return nil, err
			}
			return render(p, tname, ttitle, "P99 (solid) and P50 (dotted) latency from the intended start of the ops due in each interval of the window (a second, or a twentieth of a shorter window): the median over valid runs of each run's figure. Triangles mark the first interval of each second in which a GC cycle completed (median over the runs).", plotW, plotH, png)
		})
	}
	// One bar chart per question and metric: every compared
	// configuration side by side, a group of bars per answer.
	for _, q := range m.Questions {
		for i, t := range q.Tables {
			if len(t.Rows) == 0 {
				continue
			}
			label := metricLabel(q.Units[i])
			name := plotName(used, q.Slug, slug(label))
			title := fitTitle(q.Title+" — "+label, 80)
			w, h := plotW, plotH
			if n := len(t.Rows) * len(t.Cols); n > 24 {
				w = max(plotW, vg.Length(n)*vg.Points(14)+vg.Points(100))
			}
			if len(t.Rows) > 12 {
				h = 7 * vg.Inch
			}
			jobs = append(jobs, func(png bool) (*Plot, error) {
				p, err := barPlot(t, w)
				if err != nil {
					return nil, err
				}
				p.Title.Text = title
				return render(p, name, title, fmt.Sprintf("%s of the valid runs per configuration (bar), its 95%% confidence interval (whiskers; none with fewer than 6 runs) and each run (dots), one group of bars per answer; %s.", t.Summary, t.BetterString()), w, h, png)
			})
		}
	}
	jobs = append(jobs, m.sweepPlotJobs(used)...)
	var rates []rateCell
	for _, c := range m.Run.Cells {
		rc := rateCell{label: c.Label}
		for _, r := range c.Runs {
			if r.Result == nil || r.Result.TargetRate == 0 {
				continue
			}
			rc.target = r.Result.TargetRate
			rc.achieved = append(rc.achieved, r.Result.AchievedRate)
			rc.valid = append(rc.valid, r.Valid)
		}
		if rc.target > 0 {
			rates = append(rates, rc)
		}
	}
	if len(rates) > 0 {
		name := plotName(used, "rate")
		h := plotH
		if len(rates) > 12 {
			h = 7 * vg.Inch // room for vertical labels
		}
		w := max(plotW, vg.Length(len(rates))*vg.Points(14))
		jobs = append(jobs, func(png bool) (*Plot, error) {
			p, err := ratePlot(rates)
			if err != nil {
				return nil, err
			}
			return render(p, name, "achieved vs target rate", "Target rate (bar) and each run's achieved rate: circles are valid runs, crosses runs that missed their rate (reported, never averaged in).", w, h, png)
		})
	}
	return jobs
}

// profiles fills in the profile tops per cell and the diffs between each
// cell and the cell it is compared with.
func (m *Model) profiles(n int) {
	loaded := map[string]map[string]*Top{}
	raw := map[string]map[string]*profile.Profile{}
	runs := map[string]int{}
	for _, c := range m.Run.Cells {
		var dirs []string
		for _, r := range c.Runs {
			if r.Valid && r.Dir != "" {
				dirs = append(dirs, profileDir(c.Kind, r.Dir))
			}
		}
		if len(dirs) == 0 {
			continue
		}
		runs[c.ID] = len(dirs)
		cp := &CellProfiles{Cell: c.Label}
		for _, kind := range ProfileKinds {
			p, err := loadProfile(dirs, kind)
			if err != nil {
				m.Warnings = append(m.Warnings, fmt.Sprintf("cell %s: %v", c.ID, err))
				continue
			}
			if p == nil {
				continue
			}
			t := TopOf(p, kind, n)
			cp.Tops = append(cp.Tops, t)
			if loaded[c.ID] == nil {
				loaded[c.ID], raw[c.ID] = map[string]*Top{}, map[string]*profile.Profile{}
			}
			loaded[c.ID][kind] = t
			raw[c.ID][kind] = p
		}
		if len(cp.Tops) > 0 {
			m.Profiles = append(m.Profiles, cp)
		}
	}
	// Pairs: within cells that differ only in the compared keys, the
	// first is the base, as in the tables.
	var colKeys []string
	if m.Compare != nil {
		for _, k := range strings.Split(m.Compare.Options.Col, ",") {
			if k = strings.TrimSpace(k); k != "" && !strings.HasPrefix(k, ".") {
				colKeys = append(colKeys, strings.SplitN(k, "@", 2)[0])
			}
		}
	}
	if len(colKeys) == 0 {
		return
	}
	groups := map[string][]*Cell{}
	var order []string
	for _, c := range m.Run.Cells {
		if raw[c.ID] == nil {
			continue
		}
		var key []string
		key = append(key, c.Workload, c.Op)
		for _, kv := range c.Config {
			if !slices.Contains(colKeys, kv.Key) {
				key = append(key, kv.Key+"="+kv.Value)
			}
		}
		k := strings.Join(key, "\x00")
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], c)
	}
	for _, k := range order {
		cells := groups[k]
		base := cells[0]
		for _, cand := range cells[1:] {
			sec := &DiffSection{Base: base.Label, Cand: cand.Label, Changes: m.changes(cand, colKeys)}
			for _, kind := range ProfileKinds {
				bp, ok1 := raw[base.ID][kind]
				cp, ok2 := raw[cand.ID][kind]
				if !ok1 || !ok2 {
					continue
				}
				sec.Diffs = append(sec.Diffs, Diff(bp, cp, runs[base.ID], runs[cand.ID], kind, base.Label, cand.Label, n))
			}
			if len(sec.Diffs) > 0 {
				m.Diffs = append(m.Diffs, sec)
			}
		}
	}
}

// changes returns the significant comparisons that concern a cell: its
// column, its table configuration and its op.
func (m *Model) changes(c *Cell, colKeys []string) []compare.Comparison {
	var label []string
	for _, k := range colKeys {
		label = append(label, k+"="+c.ConfigValue(k))
	}
	col := strings.Join(label, " ")
	var out []compare.Comparison
	for _, t := range m.Compare.Tables {
		match := true
		for _, kv := range t.Config {
			if v := c.ConfigValue(kv.Key); v != "" && v != kv.Value {
				match = false
			}
			if kv.Key == "workload" && kv.Value != c.Workload {
				match = false
			}
		}
		if !match {
			continue
		}
		for _, r := range t.Rows {
			if c.Op != "" && !strings.Contains(r.Name, "/op="+c.Op) {
				continue
			}
			if strings.HasPrefix(r.Name, "Build/") {
				continue
			}
			for j, cell := range r.Cells {
				if cell != nil && cell.Cmp != nil && t.Cols[j] == col && cell.Cmp.Significant {
					out = append(out, *cell.Cmp)
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return abs(out[i].Delta) > abs(out[j].Delta) })
	return out
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// Failed lists the cells that did not produce (all) their figures.
func (m *Model) Failed() []*Cell {
	var out []*Cell
	for _, c := range m.Run.Cells {
		if c.Status != results.StatusOK || len(c.Invalid()) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// HostWarnings are the noisy-host warnings at the start and, where they
// differ, at the end of the run.
func (m *Model) HostWarnings() []string {
	w := append([]string(nil), m.Run.Manifest.Host.Warnings...)
	if a := m.Run.Manifest.HostAfter; a != nil {
		for _, s := range a.Warnings {
			if !slices.Contains(w, s) {
				w = append(w, "at the end: "+s)
			}
		}
	}
	return w
}
