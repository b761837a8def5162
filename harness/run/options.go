package run

import (
	"errors"
	"fmt"
	"time"

	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/spec"
)

// MaxGrace bounds Options.Grace: a workload that needs longer than this to
// stop after SIGTERM holds the machine, and the whole queue behind it.
const MaxGrace = time.Hour

// Validate checks the options a command line sets, against the limits the
// spec's own values have (runs.count), every problem at once. Zero values
// mean the defaults.
func (o Options) Validate() error {
	var errs []error
	if o.Count < 0 || o.Count > spec.MaxCount {
		errs = append(errs, fmt.Errorf("--count must be between 1 and %d (got %d)", spec.MaxCount, o.Count))
	}
	if o.Grace < 0 || o.Grace > MaxGrace {
		errs = append(errs, fmt.Errorf("--grace must be > 0 and at most %s (got %s)", MaxGrace, o.Grace))
	}
	if _, _, err := results.ParseShard(o.Shard); err != nil {
		errs = append(errs, fmt.Errorf("--shard: %w", err))
	}
	return errors.Join(errs...)
}
