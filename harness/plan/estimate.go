package plan

import (
	"regexp"
	"time"

	"github.com/perfharness/harness/harness/spec"
)

// Per-run costs beyond the measured window, rough figures from this
// project's 2-core reference machine: starting a workload process and
// reading back its files, and for http cells starting the server, waiting
// for it to listen and for its sockets to drain.
const (
	processOverhead = 400 * time.Millisecond
	httpOverhead    = 1500 * time.Millisecond
	// A go test benchmark run whose length the spec does not fix (a
	// benchtime of N iterations) is guessed at a second.
	gotestGuess = time.Second
)

var benchtimeDuration = regexp.MustCompile(`^[0-9.]+(ns|us|µs|ms|s|m|h)$`)

// RunCost estimates one repetition of a cell: its window and warm-up,
// or its benchtime, plus process overheads.
func RunCost(c *Cell) time.Duration {
	w := c.Workload
	switch w.Kind {
	case spec.KindGoTest:
		d := gotestGuess
		if benchtimeDuration.MatchString(w.Benchtime) {
			if bt, err := time.ParseDuration(w.Benchtime); err == nil {
				// go test runs each benchmark a few times to size b.N.
				d = bt + bt/2
			}
		}
		return d + processOverhead
	case spec.KindHTTP:
		return w.Warmup.D() + w.Duration.D() + processOverhead + httpOverhead
	}
	return w.Warmup.D() + w.Duration.D() + processOverhead
}

// An Estimate is how long the runs of a plan should take, builds left out
// (a warm cache makes them free, a cold one costs a minute or more per
// toolchain).
type Estimate struct {
	PerRound time.Duration // one repetition of every planned cell
	// Min and Max bound the runs: equal for a fixed count; for count:
	// auto, the first pass and the budget (max_count, max_time).
	Min, Max time.Duration
}

// EstimateRuns estimates the plan's run time.
func (p *Plan) EstimateRuns() Estimate {
	var e Estimate
	for _, c := range p.Cells {
		if c.Status == Planned {
			e.PerRound += RunCost(c)
		}
	}
	r := p.Spec.Runs
	e.Min = time.Duration(r.Count) * e.PerRound
	e.Max = e.Min
	if r.Auto {
		e.Max = time.Duration(r.MaxCount) * e.PerRound
		if r.MaxTime > 0 {
			e.Max = min(e.Max, max(e.Min, r.MaxTime.D()+e.PerRound))
		}
	}
	return e
}
