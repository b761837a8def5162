// Package verify holds the effects around the gate: everything the gate's
// decisions need that is not pure. It reads the runs a command names (a
// folder, a run id, the newest usable baseline of the same spec on the same
// host), loads their results, asks gate for the verdict and writes its
// reports; it reruns the cells of a first-pass suspect to confirm or
// clear it (Confirm); it runs a spec several times on one host to measure
// its noise (RunAA, Thresholds); and it follows stored runs into a trend
// with its plots (Trend).
//
// verify sits above run (it starts confirmation and calibration runs, and
// re-plans a run's spec on this host with plan, spec and toolchain), build
// (the binaries they run), gate (the pure verdicts), compare (the
// statistics), report (trend plots), results (the runs) and host, and below
// cli, which parses flags into its options and prints what it returns. It never prints: steps go
// to a Log callback, and errors that are the caller's to fix (a run that
// does not exist) are InputErrors.
package verify

import "fmt"

// An InputError is a problem with what verify was given — a run that does
// not exist, the same run as both sides, an invalid policy — rather than
// with the runs themselves: the command line maps it to a usage error.
type InputError struct {
	Err error
	// Usage says the arguments contradict each other (the same run as
	// both sides): the command's usage applies.
	Usage bool
}

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErrorf(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}

func logf(log func(string), format string, args ...any) {
	if log != nil {
		log(fmt.Sprintf(format, args...))
	}
}
