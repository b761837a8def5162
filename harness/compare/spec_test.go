package compare

import (
	"strings"
	"testing"

	"github.com/perfharness/harness/harness/spec"
)

func TestCheckSpec(t *testing.T) {
	const base = "workloads:\n  - {name: a, kind: gotest, package: ./p}\n"
	tests := []struct {
		report string
		want   []string
		why    string
	}{
		{`{col: "/op,env", row: ".name", filter: "goexperiment:arenas"}`, nil, "valid projections"},
		{`{col: "/op("}`, []string{`:3:15: report.col: parsing col "/op("`}, "a projection that does not parse"},
		{`{row: ".name", table: "(", col: ")"}`, []string{`report.col: parsing col`, `report.table: parsing table`}, "every bad one, each at its value"},
		{`{filter: "a:(", col: "/op("}`, []string{`:3:18: report.filter: parsing filter`}, "a bad filter alone: the others are parsed against it"},
	}
	for _, tt := range tests {
		s, err := spec.Parse("bench.yaml", []byte(base+"report: "+tt.report+"\n"))
		if err != nil {
			t.Fatalf("%s: %v", tt.why, err)
		}
		errs := CheckSpec(s)
		if len(errs) != len(tt.want) {
			t.Errorf("%s: %d errors, want %d:\n%v", tt.why, len(errs), len(tt.want), errs)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(errs.Error(), w) {
				t.Errorf("%s: errors lack %q:\n%v", tt.why, w, errs)
			}
		}
	}
}
