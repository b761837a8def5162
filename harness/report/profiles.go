package report

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"
)

// ProfileKinds are the profile files a run folder may hold, in the order
// the report shows them.
var ProfileKinds = []string{"cpu", "allocs", "heap", "mutex", "block"}

// A Top is the function-level summary of a profile: for each function its
// flat value (samples whose innermost frame it is) and cumulative value
// (samples with it anywhere on the stack), as fractions of the total.
type Top struct {
	Kind       string // cpu, allocs, ...
	SampleType string // e.g. "cpu/nanoseconds", "alloc_space/bytes"
	Total      int64
	Funcs      []FuncShare // by flat share, descending
}

// A FuncShare is one function's share of a profile.
type FuncShare struct {
	Name      string
	Flat, Cum float64 // fractions of the total
}

// A ProfileDiff lists the functions whose share changed most between a
// base cell's profile and a candidate's, as pprof -diff_base shows them,
// but in shares of each profile's own total so run lengths do not matter.
type ProfileDiff struct {
	Kind       string
	Base, Cand string // cell labels
	// Unit is the sample type's unit (nanoseconds, bytes, count);
	// BaseRuns and CandRuns the runs whose profiles were merged.
	Unit               string
	BaseRuns, CandRuns int
	Funcs              []FuncDelta
}

// A FuncDelta is the change of one function's samples between two cells:
// per run (the profiles of several runs are merged, and the cells may
// have different numbers of valid runs) and as shares of the totals.
type FuncDelta struct {
	Name                string
	BaseFlat, CandFlat  float64
	BaseCum, CandCum    float64
	FlatDelta, CumDelta float64 // cand - base, in fractions of the totals
	// Values per run, in the profile's unit (Unit of the diff).
	BaseFlatV, CandFlatV, BaseCumV, CandCumV float64
}

// loadProfile reads and merges the profiles of one kind from run folders.
func loadProfile(dirs []string, kind string) (*profile.Profile, error) {
	var ps []*profile.Profile
	for _, d := range dirs {
		p, err := readProfile(d, kind+".pprof")
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		return nil, nil
	}
	if len(ps) == 1 {
		return ps[0], nil
	}
	return profile.Merge(ps)
}

// sampleIndex picks the value pprof shows by default: the profile's
// default sample type, else the last.
func sampleIndex(p *profile.Profile) int {
	if p.DefaultSampleType != "" {
		for i, st := range p.SampleType {
			if st.Type == p.DefaultSampleType {
				return i
			}
		}
	}
	return len(p.SampleType) - 1
}

// shares computes flat and cumulative values per function.
func shares(p *profile.Profile) (flat, cum map[string]int64, total int64, sampleType string) {
	idx := sampleIndex(p)
	if idx < 0 {
		return nil, nil, 0, ""
	}
	st := p.SampleType[idx]
	sampleType = st.Type + "/" + st.Unit
	flat, cum = map[string]int64{}, map[string]int64{}
	for _, s := range p.Sample {
		v := s.Value[idx]
		if v == 0 || driverOwn(s) {
			continue
		}
		total += v
		seen := map[string]bool{}
		for i, loc := range s.Location {
			names := funcNames(loc)
			if i == 0 && len(names) > 0 {
				flat[names[0]] += v
			}
			for _, n := range names {
				if !seen[n] {
					seen[n] = true
					cum[n] += v
				}
			}
		}
	}
	return flat, cum, total, sampleType
}

// driverPkg prefixes the functions of the workload driver, which runs
// inside every fixed-rate and http workload process.
const driverPkg = "github.com/perfharness/harness/workloads/driver."

// driverOwn reports whether a sample is the driver's own work — its
// pacer, recorder, log writer, samplers — rather than the workload's: it
// has driver frames but was not reached through the call of the op. Such
// samples (runtime.nanotime from the pacer's spin, say) are left out of
// tops and diffs: they say how hard the harness worked, not the code under
// test.
func driverOwn(s *profile.Sample) bool {
	inDriver := false
	for _, loc := range s.Location {
		for _, l := range loc.Line {
			if l.Function == nil {
				continue
			}
			name := l.Function.Name
			if name == driverPkg+"(*runner).call" {
				return false
			}
			if strings.HasPrefix(name, driverPkg) {
				inDriver = true
			}
		}
	}
	return inDriver
}

// funcNames returns a location's functions, innermost (inlined) first.
func funcNames(loc *profile.Location) []string {
	if len(loc.Line) == 0 {
		return []string{fmt.Sprintf("0x%x", loc.Address)}
	}
	names := make([]string, 0, len(loc.Line))
	for _, l := range loc.Line {
		if l.Function != nil && l.Function.Name != "" {
			names = append(names, l.Function.Name)
		}
	}
	return names
}

// TopOf summarizes a profile; n bounds the functions kept (by flat, then
// by cumulative share, so callers with no own time still show).
func TopOf(p *profile.Profile, kind string, n int) *Top {
	flat, cum, total, st := shares(p)
	t := &Top{Kind: kind, SampleType: st, Total: total}
	if total == 0 {
		return t
	}
	for name, c := range cum {
		t.Funcs = append(t.Funcs, FuncShare{Name: name, Flat: float64(flat[name]) / float64(total), Cum: float64(c) / float64(total)})
	}
	sort.Slice(t.Funcs, func(i, j int) bool {
		a, b := t.Funcs[i], t.Funcs[j]
		if a.Flat != b.Flat {
			return a.Flat > b.Flat
		}
		if a.Cum != b.Cum {
			return a.Cum > b.Cum
		}
		return a.Name < b.Name
	})
	if len(t.Funcs) > n {
		t.Funcs = t.Funcs[:n]
	}
	return t
}

// Diff compares two profiles of one kind: the n functions whose flat or
// cumulative share moved most.
func Diff(base, cand *profile.Profile, baseRuns, candRuns int, kind, baseLabel, candLabel string, n int) *ProfileDiff {
	bf, bc, bt, st := shares(base)
	cf, cc, ct, _ := shares(cand)
	d := &ProfileDiff{Kind: kind, Base: baseLabel, Cand: candLabel, BaseRuns: max(1, baseRuns), CandRuns: max(1, candRuns)}
	if _, unit, ok := strings.Cut(st, "/"); ok {
		d.Unit = unit
	}
	if bt == 0 || ct == 0 {
		return d
	}
	names := map[string]bool{}
	for k := range bc {
		names[k] = true
	}
	for k := range cc {
		names[k] = true
	}
	for name := range names {
		if strings.HasPrefix(name, driverPkg) {
			continue // the driver's frames above the op: not the code under test
		}
		fd := FuncDelta{
			Name:     name,
			BaseFlat: float64(bf[name]) / float64(bt), CandFlat: float64(cf[name]) / float64(ct),
			BaseCum: float64(bc[name]) / float64(bt), CandCum: float64(cc[name]) / float64(ct),
		}
		fd.FlatDelta, fd.CumDelta = fd.CandFlat-fd.BaseFlat, fd.CandCum-fd.BaseCum
		br, cr := float64(d.BaseRuns), float64(d.CandRuns)
		fd.BaseFlatV, fd.CandFlatV = float64(bf[name])/br, float64(cf[name])/cr
		fd.BaseCumV, fd.CandCumV = float64(bc[name])/br, float64(cc[name])/cr
		if fd.BaseFlatV == fd.CandFlatV && fd.BaseCumV == fd.CandCumV {
			continue
		}
		d.Funcs = append(d.Funcs, fd)
	}
	// The largest absolute changes per run lead: a function that went from
	// 5% to 10% of a profile twice as large moved more than its share says.
	// A cumulative change counts half (it is its callees' changes too).
	score := func(f FuncDelta) float64 {
		return math.Max(math.Abs(f.CandFlatV-f.BaseFlatV), math.Abs(f.CandCumV-f.BaseCumV)/2)
	}
	sort.Slice(d.Funcs, func(i, j int) bool {
		a, b := score(d.Funcs[i]), score(d.Funcs[j])
		if a != b {
			return a > b
		}
		return d.Funcs[i].Name < d.Funcs[j].Name
	})
	if len(d.Funcs) > n {
		d.Funcs = d.Funcs[:n]
	}
	return d
}

// fmtSample formats a per-run profile value in its unit.
func fmtSample(unit string, v float64) string {
	switch unit {
	case "nanoseconds":
		return fmtValue("ns", v)
	case "bytes":
		return fmtValue("B", v)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// fmtSampleDelta formats a change of a per-run profile value, signed.
func fmtSampleDelta(unit string, d float64) string {
	s := fmtSample(unit, math.Abs(d))
	if d < 0 {
		return "−" + s
	}
	return "+" + s
}

// pct formats a fraction as a percentage.
func pct(f float64) string {
	return fmt.Sprintf("%.1f%%", f*100)
}

// signedPct formats a change of share in percentage points.
func signedPct(f float64) string {
	return fmt.Sprintf("%+.1fpp", f*100)
}

// shortFunc trims a Go symbol's package path for tables (the full name is
// kept as the title).
func shortFunc(name string) string {
	if i := strings.LastIndex(name, "/"); i >= 0 {
		return name[i+1:]
	}
	return name
}

// profileDir is where a run keeps the profiles worth reading: for an http
// cell the server's (the load generator's own profile says little about
// the code under test), else the run folder itself.
func profileDir(cellKind, runDir string) string {
	if cellKind == "http" {
		if fi, err := os.Stat(filepath.Join(runDir, "server")); err == nil && fi.IsDir() {
			return filepath.Join(runDir, "server")
		}
	}
	return runDir
}
