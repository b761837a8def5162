package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/results"
)

// A Run is everything the report knows about one results folder: its
// manifest, its benchmark results and, per cell, the latency and rate
// records of its runs. It is read from files alone.
type Run struct {
	Dir      string
	Manifest *results.Manifest
	Set      *compare.Set // nil when bench.txt is missing or empty
	Cells    []*Cell
	Warnings []string // files that could not be read, and why
}

// A Cell is one cell of the matrix with what its runs left behind.
type Cell struct {
	*results.Cell
	Label   string     // short name for legends: the cell id
	Runs    []*RunInfo // every run, valid or not
	Latency *Latency   // merged over the valid runs; nil when none has a latency log
	GCs     int64      // GC cycles over the valid runs' windows
	// GCPerSecond is, for each second of the window, the median over the
	// valid runs of the GC cycles completed in it (nil when not recorded).
	GCPerSecond []float64
}

// A RunInfo is one run of a cell as the report shows it.
type RunInfo struct {
	*results.Run
	Dir    string // absolute path of the run folder
	Valid  bool   // status ok: its figures count
	Result *driverResult
	// Steps are the figures of each step of a steps schedule, from the
	// latency log (nil for other schedules).
	Steps []StepFigures
}

// A driverResult is a run's result.json and, for an http cell, its
// server's server.json: the code under test's runtime figures (the load
// client's are in Runtime).
type driverResult struct {
	*results.DriverResult
	Server *results.ServerResult
}

// Load reads a results folder: the manifest (required), bench.txt and the
// run folders. A missing or unreadable run file is a warning, not an error:
// the report shows what is there and says what is not.
func Load(dir string) (*Run, error) {
	d, err := results.Open(dir)
	if err != nil {
		return nil, err
	}
	m, err := d.ReadManifest()
	if err != nil {
		return nil, err
	}
	r := &Run{Dir: dir, Manifest: m}
	if _, err := os.Stat(filepath.Join(dir, results.BenchFile)); err == nil {
		s, err := compare.LoadResults(dir)
		if err != nil {
			return nil, err
		}
		r.Set = s
	} else {
		r.warnf("%s: no %s: no benchmark results to compare", dir, results.BenchFile)
	}
	// Cells are independent: read them in parallel (decoding the
	// histogram logs is most of the work), report in manifest order.
	r.Cells = make([]*Cell, len(m.Cells))
	warns := make([][]string, len(m.Cells))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, mc := range m.Cells {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			cr := &Run{}
			r.Cells[i] = cr.loadCell(d, mc)
			warns[i] = cr.Warnings
		}()
	}
	wg.Wait()
	for _, w := range warns {
		r.Warnings = append(r.Warnings, w...)
	}
	return r, nil
}

// loadCell reads the run folders of one cell; problems go to r.Warnings.
func (r *Run) loadCell(d *results.Dir, mc *results.Cell) *Cell {
	c := &Cell{Cell: mc, Label: mc.ID}
	r.runWarnings(mc)
	var gcRuns [][]uint64
	defer func() { c.GCPerSecond = medianPerSecond(gcRuns) }()
	for _, mr := range mc.Runs {
		ri := &RunInfo{Run: mr, Valid: mr.Status == results.StatusOK}
		for k, a := range mr.Attempts {
			r.warnf("cell %s run %d: attempt %d was %s (%s), kept in %s; the run was retried", mc.ID, mr.Index, k+1, a.Status, strings.SplitN(a.Reason, "\n", 2)[0], a.Dir)
		}
		if mr.Dir != "" {
			p, err := d.Join(mr.Dir)
			if err != nil {
				r.warnf("cell %s run %d: %v", mc.ID, mr.Index, err)
				c.Runs = append(c.Runs, ri)
				continue
			}
			ri.Dir = p
			ri.Result = r.readResult(mc, mr, p)
		}
		if ri.Result != nil && ri.Valid {
			c.GCs += ri.Result.Runtime.GCCycles
			// An http cell's result.json is the load client's: its GCs are
			// not the server's, so they are not marked.
			if g := ri.Result.Runtime.GCPerSecond; len(g) > 0 && mc.Kind == "fixed-rate" {
				gcRuns = append(gcRuns, g)
			}
		}
		if ri.Valid && ri.Dir != "" && (mc.Kind == "fixed-rate" || mc.Kind == "http") {
			hp := filepath.Join(ri.Dir, "latency.hlog")
			l, err := ReadHlog(hp)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				r.warnf("cell %s run %d: no latency.hlog", mc.ID, mr.Index)
			case err != nil:
				r.warnf("cell %s run %d: %v", mc.ID, mr.Index, err)
			case c.Latency == nil:
				c.Latency = l
			default:
				c.Latency.merge(l)
			}
			if rates := stepRates(ri.Result); err == nil && len(rates) > 1 {
				steps, err := readSteps(hp, rates, time.Duration(ri.Result.DurationNs))
				if err != nil {
					r.warnf("cell %s run %d: the steps of its schedule: %v", mc.ID, mr.Index, err)
				}
				ri.Steps = steps
			}
		}
		c.Runs = append(c.Runs, ri)
	}
	return c
}

// medianPerSecond is the median over runs of each second's count, over the
// seconds every run recorded.
func medianPerSecond(runs [][]uint64) []float64 {
	if len(runs) == 0 {
		return nil
	}
	n := len(runs[0])
	for _, r := range runs {
		n = min(n, len(r))
	}
	out := make([]float64, n)
	vals := make([]float64, len(runs))
	for i := range out {
		for j, r := range runs {
			vals[j] = float64(r[i])
		}
		out[i] = results.Median(vals)
	}
	return out
}

// runWarnings reports the runs' own warnings (the workload's and the
// harness's, e.g. histogram overflow or CPU wait), one line per kind of
// warning per cell (results.Cell.WarningLines, as the end of run summary).
func (r *Run) runWarnings(mc *results.Cell) {
	r.Warnings = append(r.Warnings, mc.WarningLines()...)
}

func (r *Run) warnf(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

func (r *Run) readResult(c *results.Cell, run *results.Run, dir string) *driverResult {
	res, err := results.ReadDriverResult(dir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) || run.Status == results.StatusOK && c.Kind != "gotest" {
			r.warnf("cell %s run %d: %v", c.ID, run.Index, err)
		}
		return nil
	}
	out := &driverResult{DriverResult: res}
	if c.Kind == "http" {
		srv, err := results.ReadServerResult(dir)
		switch {
		case err == nil:
			out.Server = srv
		case !errors.Is(err, fs.ErrNotExist):
			r.warnf("cell %s run %d: %v", c.ID, run.Index, err)
		}
	}
	return out
}

// Invalid returns the runs whose figures do not count, with their reasons.
func (c *Cell) Invalid() []*RunInfo {
	var out []*RunInfo
	for _, r := range c.Runs {
		if !r.Valid && r.Status != results.StatusPlanned {
			out = append(out, r)
		}
	}
	return out
}

// ValidRuns counts the runs whose figures count.
func (c *Cell) ValidRuns() int {
	n := 0
	for _, r := range c.Runs {
		if r.Valid {
			n++
		}
	}
	return n
}

// Group names the benchmark a cell measures (workload and op), so cells of
// one benchmark are plotted together.
func (c *Cell) Group() string {
	if c.Op == "" {
		return c.Workload
	}
	return c.Workload + "/" + c.Op
}

// ConfigValue returns the cell's value for a configuration key.
func (c *Cell) ConfigValue(key string) string {
	for _, kv := range c.Config {
		if kv.Key == key {
			return kv.Value
		}
	}
	return ""
}

// Matrix returns, per configuration key, the distinct values the cells
// take, in first-seen order.
func (r *Run) Matrix() []compare.KV {
	var keys []string
	vals := map[string][]string{}
	for _, c := range r.Cells {
		for _, kv := range c.Config {
			if _, ok := vals[kv.Key]; !ok {
				keys = append(keys, kv.Key)
			}
			if !slices.Contains(vals[kv.Key], kv.Value) {
				vals[kv.Key] = append(vals[kv.Key], kv.Value)
			}
		}
	}
	var out []compare.KV
	for _, k := range keys {
		out = append(out, compare.KV{Key: k, Value: strings.Join(vals[k], ", ")})
	}
	return out
}
