package gate

import (
	"fmt"
	"slices"

	"github.com/perfharness/harness/harness/results"
)

// A Skip says why a stored run was not taken as the baseline.
type Skip struct {
	RunID  string
	Reason string
	// Earlier says the run is an earlier run of the candidate's spec on
	// its host: one that could have been the baseline had it been usable.
	Earlier bool
}

func (s Skip) String() string { return s.RunID + ": " + s.Reason }

// SelectBaseline picks the newest stored run that can serve as the
// candidate's baseline: the same spec name, run on the same host (CPU
// identity) unless allowHostMismatch, earlier than the candidate, finished
// (complete, incomplete or interrupted, not a lone shard), with at least
// one usable cell — a cell is as good as its valid runs, judged as the
// gate judges it. It returns the choice (nil when there is none) and,
// newest first, every run of the spec it passed over and why: a nightly
// must say that the latest run came from another kind of machine rather
// than compare against it blindly. Runs older than the choice are not
// listed.
func SelectBaseline(cand *results.Manifest, candPath string, stored []results.Stored, allowHostMismatch bool) (*results.Stored, []Skip) {
	runs := slices.Clone(stored)
	results.SortNewestFirst(runs)
	var skipped []Skip
	for i := range runs {
		s := &runs[i]
		m := s.Manifest
		reason, earlier := "", true
		switch {
		case m.RunID == cand.RunID || s.Path == candPath:
			continue // the candidate itself is not worth mentioning
		case m.Name != cand.Name:
			continue // other specs' runs are noise in the list
		case !m.Started.Before(cand.Started) && !cand.Started.IsZero():
			reason, earlier = "newer than the candidate", false
		case m.Host.ID != cand.Host.ID && !allowHostMismatch:
			reason, earlier = fmt.Sprintf("another host: %s (%s), the candidate ran on %s (%s)", m.Host.ID, m.Host.Label(), cand.Host.ID, cand.Host.Label()), false
		case m.Status == results.RunRunning:
			reason = "still running (or its harness died without a trace; the next harness run marks it abandoned)"
		case m.Status == results.RunAbandoned:
			reason = "abandoned: its harness died mid-run; harness run --resume completes it"
		case m.Shard != "":
			reason = "a single shard (" + m.Shard + "); merge the shards first"
		case !usable(m):
			reason = "no usable cell: every cell failed or has no valid run" + suffix(m.Reason)
		}
		if reason == "" {
			return s, skipped
		}
		skipped = append(skipped, Skip{RunID: m.RunID, Reason: reason, Earlier: earlier})
	}
	return nil, skipped
}

// usable reports whether a run has a cell the gate would compare.
func usable(m *results.Manifest) bool {
	for _, c := range m.Cells {
		if c.Status != results.StatusSkipped && stateOf(c).excluded == "" && len(c.ValidRuns()) > 0 {
			return true
		}
	}
	return false
}
