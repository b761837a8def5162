package gate

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/perfharness/harness/harness/results"
)

// A Stored is a results folder found under a results root.
type Stored struct {
	Path     string
	Manifest *results.Manifest
}

// A Skip says why a stored run was not taken as the baseline.
type Skip struct {
	RunID  string
	Reason string
}

func (s Skip) String() string { return s.RunID + ": " + s.Reason }

// SelectBaseline picks the newest stored run that can serve as the
// candidate's baseline: the same spec name, run on the same host (CPU
// identity) unless allowHostMismatch, complete, and not the candidate
// itself. It returns the choice (nil when there is none) and, newest
// first, every newer run it passed over and why — a nightly must say that
// the latest run came from another kind of machine rather than compare
// against it blindly.
func SelectBaseline(cand *results.Manifest, candPath string, stored []Stored, allowHostMismatch bool) (*Stored, []Skip) {
	runs := slices.Clone(stored)
	slices.SortStableFunc(runs, func(a, b Stored) int {
		return cmp.Or(b.Manifest.Started.Compare(a.Manifest.Started), cmp.Compare(b.Manifest.RunID, a.Manifest.RunID))
	})
	var skipped []Skip
	for i := range runs {
		s := &runs[i]
		m := s.Manifest
		reason := ""
		switch {
		case m.RunID == cand.RunID || s.Path == candPath:
			continue // the candidate itself is not worth mentioning
		case m.Name != cand.Name:
			reason = fmt.Sprintf("another spec (%s)", m.Name)
		case !m.Started.Before(cand.Started) && !cand.Started.IsZero():
			reason = "newer than the candidate"
		case m.Host.ID != cand.Host.ID && !allowHostMismatch:
			reason = fmt.Sprintf("another host: %s (%s), the candidate ran on %s (%s)", m.Host.ID, HostLabel(m.Host), cand.Host.ID, HostLabel(cand.Host))
		case m.Status != results.RunComplete:
			reason = "status " + string(m.Status) + suffix(m.Reason)
		case m.Shard != "":
			reason = "a single shard (" + m.Shard + "); merge the shards first"
		}
		if reason == "" {
			return s, skipped
		}
		if m.Name == cand.Name { // other specs' runs are noise in the list
			skipped = append(skipped, Skip{RunID: m.RunID, Reason: reason})
		}
	}
	return nil, skipped
}
