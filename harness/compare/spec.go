package compare

import (
	"github.com/perfharness/harness/harness/spec"
)

// CheckSpec checks a spec's report section (benchproc projections and
// filter) at plan time, each error at its value: a projection that does not
// parse would otherwise surface only when the report is rendered, after
// everything was measured.
func CheckSpec(s *spec.Spec) spec.ErrorList {
	var errs spec.ErrorList
	r := s.Report
	if err := (Options{Filter: r.Filter}).Validate(); err != nil {
		// The other projections are parsed against the filter: with a
		// broken one, they cannot be judged.
		return append(errs, s.Errorf("report.filter", "%v", err))
	}
	for _, f := range []struct {
		path string
		opts Options
	}{
		{"report.col", Options{Col: r.Col, Filter: r.Filter}},
		{"report.row", Options{Row: r.Row, Filter: r.Filter}},
		{"report.table", Options{Table: r.Table, Filter: r.Filter}},
	} {
		if err := f.opts.Validate(); err != nil {
			errs = append(errs, s.Errorf(f.path, "%v", err))
		}
	}
	return errs
}
