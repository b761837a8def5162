package spec

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// This file holds the limits a spec's values must meet because a later
// stage enforces them — the workload driver, the Go runtime of the workload
// process, the harness's own arithmetic. Checking them here turns a failure
// after building (or a setting the runtime silently ignores) into a
// positioned error at plan time.

// MaxRate is the highest rate the workload driver accepts, in ops/s
// (workloads/driver keeps schedule offsets exact in float64 nanoseconds up
// to it). It is part of the run protocol: a driver states its own limit in
// its -list-ops answer, and the harness checks built binaries against it.
const MaxRate = 1e9

// maxRunLength bounds warm-up plus duration: the harness adds a minute of
// slack to a run's length for its deadline, and the driver adds warm-up to
// the window; both are time.Durations.
const maxRunLength = time.Duration(math.MaxInt64) - time.Minute

// byteCountRE is the GOMEMLIMIT syntax documented by runtime/debug
// (SetMemoryLimit): an integer byte count with an optional B, KiB, MiB, GiB
// or TiB suffix.
var byteCountRE = regexp.MustCompile(`^[0-9]+(([KMGT]i)?B)?$`)

// ParseMemLimit parses a GOMEMLIMIT value as the Go runtime does
// (runtime.parseByteCount): the documented syntax, and a count that fits in
// an int64 once multiplied by its unit — larger values make the runtime
// throw "malformed GOMEMLIMIT" at startup. "off" and "" mean no limit
// (math.MaxInt64).
//
// Note: the runtime's own parser is laxer than its documentation: since
// go1.26 it reads the digits with strconv.ParseInt, which takes a sign
// ("+1GiB", "-0"), and older runtimes had a hand-written parser of their
// own. A matrix spans releases, so only the documented syntax is accepted:
// it means the same limit to every toolchain, and the range is exactly the
// runtime's.
func ParseMemLimit(s string) (int64, error) {
	if s == "" || s == "off" {
		return math.MaxInt64, nil
	}
	if !byteCountRE.MatchString(s) {
		return 0, fmt.Errorf("want off or a byte count such as 512MiB (digits, then B, KiB, MiB, GiB or TiB)")
	}
	digits, mult := s, uint64(1)
	for i, unit := range []string{"KiB", "MiB", "GiB", "TiB"} {
		if len(s) > 3 && s[len(s)-3:] == unit {
			digits, mult = s[:len(s)-3], 1<<(10*(i+1))
		}
	}
	if mult == 1 && s[len(s)-1] == 'B' {
		digits = s[:len(s)-1]
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("larger than the Go runtime accepts (at most %d bytes, 8388607TiB)", int64(math.MaxInt64))
	}
	return int64(n * mult), nil
}

// checkGOGC accepts what the Go runtime reads as a percentage: "off" or a
// decimal that fits in an int32. Anything else the runtime silently
// replaces with 100, so the cell would measure the default under another
// name.
func checkGOGC(s string) string {
	if s == "" || s == "off" {
		return ""
	}
	if !digitsRE.MatchString(s) {
		return "want off or a non-negative integer percentage"
	}
	if _, err := strconv.ParseInt(s, 10, 32); err != nil {
		return fmt.Sprintf("larger than the Go runtime accepts (at most %d; a larger value silently means 100)", math.MaxInt32)
	}
	return ""
}

var digitsRE = regexp.MustCompile(`^[0-9]+$`)

// checkRate checks a rate against the driver's limit.
func checkRate(perSecond float64) string {
	if perSecond > MaxRate {
		return fmt.Sprintf("above the workload driver's limit of %s", formatRate(MaxRate))
	}
	return ""
}

// checkBenchtime accepts what go test's -test.benchtime does (testing's
// durationOrCountFlag): a count Nx with N > 0 that fits in an int, or a
// duration > 0. Anything else the test binary refuses at startup.
func checkBenchtime(s string) string {
	if n, ok := strings.CutSuffix(s, "x"); ok {
		if c, err := strconv.ParseInt(n, 10, 0); err != nil || c <= 0 || !digitsRE.MatchString(n) {
			return "want a count of at least 1x that fits in an int"
		}
		return ""
	}
	if d, err := time.ParseDuration(s); err != nil || d <= 0 {
		return "want a duration > 0 such as 1s, or a count such as 1000x"
	}
	return ""
}
