package gate

import (
	"math"
	"testing"
)

// FuzzParseThresholds: a thresholds file never panics the parser, and one
// it accepts has only thresholds a gate can use and survives a round trip.
func FuzzParseThresholds(f *testing.F) {
	f.Add([]byte(`{"format": 1, "spec": "s", "host_id": "h", "thresholds": [{"config": "{}", "benchmark": "B", "unit": "p99-sec", "threshold": 0.07}]}`))
	f.Add([]byte(`{"format": 2}`))
	f.Add([]byte(`{"format": 1, "thresholds": [{"benchmark": "B", "unit": "u", "threshold": 1e309}]}`))
	f.Add([]byte(`{"format": 1, "thresholds": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		th, err := ParseThresholds("f.json", data)
		if err != nil {
			return
		}
		for _, e := range th.Entries {
			if math.IsNaN(e.Threshold) || e.Threshold < 0 || e.Benchmark == "" {
				t.Fatalf("accepted an unusable threshold %+v", e)
			}
		}
		out, err := th.Marshal()
		if err != nil {
			t.Fatalf("an accepted file does not marshal: %v", err)
		}
		if _, err := ParseThresholds("f.json", out); err != nil {
			t.Fatalf("round trip: %v\n%s", err, out)
		}
	})
}
