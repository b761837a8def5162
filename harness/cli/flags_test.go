package cli

import (
	"strings"
	"testing"
)

// TestFlagRanges: every numeric flag is range-checked before anything is
// read or run, with the limits the spec's own values have; a flag whose
// zero means "the default" is refused when given as zero.
func TestFlagRanges(t *testing.T) {
	const spec = "no-such-spec.yaml" // never reached: the flags fail first
	for _, tt := range []struct {
		args []string
		want string
		why  string
	}{
		{[]string{"run", spec, "--count", "0"}, "--count 0: zero is not a setting", "0 would silently be the spec's count"},
		{[]string{"run", spec, "--count", "100000"}, "--count must be between 1 and 1000", "the spec's own limit"},
		{[]string{"run", spec, "--count", "-1"}, "--count must be between 1 and 1000", "negative"},
		{[]string{"run", spec, "--grace", "-1s"}, "--grace must be > 0", "negative"},
		{[]string{"run", spec, "--grace", "0s"}, "--grace 0s: zero is not a setting", "0 would silently be 5s"},
		{[]string{"run", spec, "--grace", "1000h"}, "at most 1h0m0s", "a typo that holds the host"},
		{[]string{"run", spec, "--shard", "0/2"}, "invalid shard", "shards count from 1"},
		{[]string{"run", spec, "--metrics-addr", "localhost"}, "want HOST:PORT", "an address, checked before planning"},
		{[]string{"run", spec, "--metrics-addr", "0.0.0.0:9464"}, "not a loopback address", "the loopback rule, before planning"},
		{[]string{"run", spec, "--metrics-addr", "127.0.0.1:99999"}, "from 0 to 65535", "a port that does not exist"},
		{[]string{"run", spec, "--count", "0", "--grace", "-1s"}, "--count 0", "one problem at a time is enough"},
		{[]string{"calibrate", spec, "--runs", "1"}, "--runs must be between 2 and 100", "a pair at least"},
		{[]string{"calibrate", spec, "--runs", "1000000"}, "--runs must be between 2 and 100", "every pair is compared"},
		{[]string{"calibrate", spec, "--count", "5000"}, "--count must be between 1 and 1000", "as for run"},
		{[]string{"calibrate", spec, "--margin", "NaN"}, "--margin must be between 1 and 100", "NaN compares false"},
		{[]string{"calibrate", spec, "--alpha", "1.5"}, "--alpha must be in (0, 0.5]", "the gate's range"},
		{[]string{"calibrate", spec, "--floor", "2000%"}, "--floor must be between 0% and 1000%", "the gate's threshold range"},
		{[]string{"gate", "--baseline", "a", "--candidate", "b", "--alpha", "0"}, "--alpha 0: zero is not a setting", "0 would silently be the spec's alpha"},
		{[]string{"gate", "--baseline", "a", "--candidate", "b", "--alpha", "NaN"}, "alpha must be in (0, 0.5]", "NaN"},
		{[]string{"gate", "--baseline", "a", "--candidate", "b", "--min-samples", "-2"}, "--min-samples must be between 0 and 1000", "negative"},
		{[]string{"gate", "--baseline", "a", "--candidate", "b", "--confirm", "5000"}, "--confirm must be between 0 and 1000", "reruns past the count limit"},
		{[]string{"gate", "--baseline", "a", "--candidate", "b", "--threshold", "5000%"}, "threshold must be between 0% and 1000%", "checked before the runs are read"},
		{[]string{"trend", "results", "--last", "-3"}, "--last must be >= 0", "negative"},
		{[]string{"trend", "results", "--segment", "0"}, "--segment 0: zero is not a setting", "a segment has runs"},
		{[]string{"report", "results/x", "--confidence", "1"}, "confidence must be in (0, 1)", "an interval of everything"},
	} {
		code, _, stderr := harness(t, tt.args...)
		if code != ExitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s (%s): exit %d, want 2 and %q:\n%s", strings.Join(tt.args, " "), tt.why, code, tt.want, stderr)
		}
	}
}
