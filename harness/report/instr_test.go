package report

import (
	"strings"
	"testing"

	"github.com/perfharness/harness/harness/results"
)

func TestCannotAnswer(t *testing.T) {
	skipped := &Cell{Cell: &results.Cell{ID: "rsa/local/godebug=cpu.adx=off/measure=instructions", Status: "skipped",
		Reason: "valgrind's virtual CPU already hides ADX from Go (valgrind 3.19.0): GODEBUG cpu.adx=off would count the same code as the cell without it"}}
	other := &Cell{Cell: &results.Cell{ID: "x", Status: "skipped", Reason: "host CPU lacks ADX"}}
	base := &side{label: "default"}
	if why := cannotAnswer(base, &side{label: "cpu.adx=off", cells: []*Cell{skipped}}); !strings.HasPrefix(why, "the instructions tier cannot answer this CPU-feature question: cpu.adx=off skipped: valgrind's virtual CPU already hides ADX") {
		t.Errorf("virtual-CPU skip: %q", why)
	}
	if why := cannotAnswer(base, &side{label: "cpu.adx=off", cells: []*Cell{other}}, nil); why != "" {
		t.Errorf("a host skip is not the tier's: %q", why)
	}
}
