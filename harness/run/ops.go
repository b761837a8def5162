package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/spec"
)

// An opList is a fixed-rate workload binary's answer to -list-ops (see
// workloads/driver.OpList): the ops it has and the highest rate its driver
// schedules.
type opList struct {
	Protocol int      `json:"protocol"`
	Ops      []string `json:"ops"`
	MaxRate  float64  `json:"max_rate"`
}

// errNoListOps says a binary does not answer -list-ops: a main of its own
// or a driver older than the flag.
var errNoListOps = errors.New("the binary does not answer -list-ops")

// listOpsTimeout bounds the -list-ops call; a driver answers at once.
const listOpsTimeout = 30 * time.Second

// listOps runs a fixed-rate workload binary with -list-ops.
func listOps(ctx context.Context, binary string, env []string) (*opList, error) {
	dir, err := os.MkdirTemp("", "harness-list-ops-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	p := Proc{Path: binary, Args: []string{"-list-ops"}, Env: env, Dir: dir,
		Stdout: filepath.Join(dir, "stdout"), Stderr: filepath.Join(dir, "stderr"),
		Timeout: listOpsTimeout, Grace: time.Second}
	exit := Run(ctx, p)
	switch {
	case exit.Err != nil:
		return nil, exit.Err
	case exit.TimedOut:
		return nil, fmt.Errorf("%s -list-ops did not answer within %s", filepath.Base(binary), listOpsTimeout)
	case exit.Stopped:
		return nil, ctx.Err()
	case exit.Code != 0:
		if strings.Contains(exit.Stderr.Tail(5), "flag provided but not defined: -list-ops") {
			return nil, errNoListOps
		}
		return nil, fmt.Errorf("%s -list-ops: %s%s", filepath.Base(binary), exitString(exit), withSummary(exit.Stderr.Summary()))
	}
	f, err := os.Open(p.Stdout)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, err
	}
	var l opList
	if err := json.Unmarshal(data, &l); err != nil || l.Protocol < 1 {
		return nil, fmt.Errorf("%s -list-ops: not an op list (%.80q)", filepath.Base(binary), data)
	}
	return &l, nil
}

// checkOps asks a fixed-rate build's binary for its ops and checks every
// planned cell of the build against them: the op exists and the rate is
// within the driver's limit. It runs right after the build, before anything
// of it runs, and records what it finds in r.specErrs; a binary that
// cannot answer is a warning, and its cells run unchecked.
func (r *Runner) checkOps(ctx context.Context, b *plan.Build, bt *results.Build) {
	var cells []*plan.Cell
	for _, c := range r.cells {
		if c.of(b.Key) && c.planned() {
			cells = append(cells, c.Cell)
		}
	}
	if len(cells) == 0 || b.Kind != spec.KindFixedRate {
		return
	}
	l, err := listOps(ctx, bt.Binary, cells[0].RunEnv)
	if err != nil {
		if ctx.Err() == nil {
			r.warn(fmt.Sprintf("build %s: op names and rates not checked before running: %v", b.Key, err))
		}
		return
	}
	s := r.plan.Spec
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range cells {
		var e *spec.Error
		switch {
		case !slices.Contains(l.Ops, c.Op):
			e = s.Errorf(opPath(s, c), "workload %s (build %s) has no op %q%s; its ops are: %s",
				c.Workload.Name, b.Key, c.Op, spec.DidYouMean(c.Op, l.Ops), strings.Join(l.Ops, ", "))
		case l.MaxRate > 0 && c.Rate.PerSecond > l.MaxRate:
			e = s.Errorf(ratePath(s, c), "%s is above the limit of the driver in workload %s (build %s): %g/s",
				c.Rate, c.Workload.Name, b.Key, l.MaxRate)
		default:
			continue
		}
		if !slices.ContainsFunc(r.specErrs, func(x *spec.Error) bool { return x.Path == e.Path && x.Msg == e.Msg }) {
			r.specErrs = append(r.specErrs, e)
		}
	}
}

// opPath is the spec path of a cell's op.
func opPath(s *spec.Spec, c *plan.Cell) string {
	for i := range s.Workloads {
		if &s.Workloads[i] != c.Workload {
			continue
		}
		for j, op := range s.Workloads[i].Ops {
			if op.Name == c.Op {
				return fmt.Sprintf("workloads[%d].ops[%d]", i, j)
			}
		}
		return fmt.Sprintf("workloads[%d].ops", i)
	}
	return "workloads"
}

// ratePath is the spec path of a cell's rate.
func ratePath(s *spec.Spec, c *plan.Cell) string {
	for i := range s.Workloads {
		w := &s.Workloads[i]
		if w != c.Workload {
			continue
		}
		if len(w.Rate) > 1 {
			for j, rate := range w.Rate {
				if rate.PerSecond == c.Rate.PerSecond {
					return fmt.Sprintf("workloads[%d].rate[%d]", i, j)
				}
			}
		}
		return fmt.Sprintf("workloads[%d].rate", i)
	}
	return "workloads"
}
