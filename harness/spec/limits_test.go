package spec

import (
	"fmt"
	"math"
	"math/big"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// TestRuntimeChild is the process TestLimitsMatchRuntime starts: with
// GOMEMLIMIT and GOGC set by the parent, it prints what the runtime made of
// them. It does nothing in a normal test run.
func TestRuntimeChild(t *testing.T) {
	if os.Getenv("SPEC_RUNTIME_CHILD") != "1" {
		t.Skip("only run as the child of TestLimitsMatchRuntime")
	}
	gogc := debug.SetGCPercent(100)
	fmt.Printf("memlimit=%d gogc=%d\n", debug.SetMemoryLimit(-1), gogc)
	os.Exit(0)
}

// runtimeReads starts this test binary with GOMEMLIMIT=memlimit and
// GOGC=gogc and returns what its runtime read, or ok=false when the runtime
// refused to start.
func runtimeReads(t *testing.T, memlimit, gogc string) (limit int64, percent int, ok bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRuntimeChild$")
	cmd.Env = append(os.Environ(), "SPEC_RUNTIME_CHILD=1", "GOMEMLIMIT="+memlimit, "GOGC="+gogc)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if !strings.Contains(string(out), "malformed GOMEMLIMIT") {
			t.Fatalf("GOMEMLIMIT=%q GOGC=%q: child failed for another reason: %v\n%s", memlimit, gogc, err, out)
		}
		return 0, 0, false
	}
	if _, err := fmt.Sscanf(string(out), "memlimit=%d gogc=%d", &limit, &percent); err != nil {
		t.Fatalf("child output %q: %v", out, err)
	}
	return limit, percent, true
}

// TestLimitsMatchRuntime checks the spec's GOMEMLIMIT and GOGC rules
// against the Go runtime itself: every value the spec accepts means to the
// runtime what the spec says it means, and every value the spec refuses in
// the documented syntax the runtime refuses (GOMEMLIMIT) or silently
// replaces with the default (GOGC).
func TestLimitsMatchRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process per value")
	}
	memlimits := []string{"0", "1", "512MiB", "1B", "0KiB", "3GiB", "8388607TiB", "8388608TiB",
		"9223372036854775807", "9223372036854775807B", "9223372036854775808", "99999999999999999999",
		"9007199254740992KiB", "9007199254740991KiB", "off"}
	for _, v := range memlimits {
		want, err := ParseMemLimit(v)
		got, _, ok := runtimeReads(t, v, "100")
		switch {
		case err == nil && !ok:
			t.Errorf("GOMEMLIMIT=%s: the spec accepts it, the runtime refuses it", v)
		case err == nil && got != want:
			t.Errorf("GOMEMLIMIT=%s: the spec reads %d, the runtime %d", v, want, got)
		case err != nil && ok:
			t.Errorf("GOMEMLIMIT=%s: the spec refuses it (%v), the runtime reads %d", v, err, got)
		}
	}
	for _, v := range []string{"0", "50", "off", "2147483647", "2147483648", "99999999999"} {
		msg := checkGOGC(v)
		_, got, ok := runtimeReads(t, "off", v)
		if !ok {
			t.Fatalf("GOGC=%s: the runtime did not start", v)
		}
		// The spec accepts a value exactly when the runtime reads it as
		// written; otherwise the runtime silently uses 100.
		asWritten := v == "off" && got == -1 || strconv.Itoa(got) == v
		if (msg == "") != asWritten {
			t.Errorf("GOGC=%s: the spec says %q, the runtime reads %d", v, msg, got)
		}
	}
}

func TestParseMemLimit(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
		why  string
	}{
		{"", math.MaxInt64, true, "no limit"},
		{"off", math.MaxInt64, true, "no limit"},
		{"512MiB", 512 << 20, true, "a unit"},
		{"7B", 7, true, "bytes with B"},
		{"7", 7, true, "bytes without a unit"},
		{"8388607TiB", 8388607 << 40, true, "the largest TiB count"},
		{"8388608TiB", 0, false, "2^63 bytes overflows int64"},
		{"18446744073709551616", 0, false, "past uint64"},
		{"1GB", 0, false, "decimal units are not the runtime's"},
		{"1 GiB", 0, false, "no spaces"},
		{"GiB", 0, false, "no digits"},
		{"1_000", 0, false, "no underscores"},
		{"0x10", 0, false, "decimal only"},
	}
	for _, tt := range tests {
		got, err := ParseMemLimit(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseMemLimit(%q) = %d, %v; want %d, ok=%v (%s)", tt.in, got, err, tt.want, tt.ok, tt.why)
		}
	}
}

// FuzzParseMemLimit checks ParseMemLimit against the documented grammar
// evaluated with big integers: a value in the grammar is accepted exactly
// when its byte count fits in an int64, and then read as that count.
func FuzzParseMemLimit(f *testing.F) {
	for _, s := range []string{"512MiB", "8388608TiB", "1B", "0", "off", "1GB", "+1GiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseMemLimit(s)
		if s == "" || s == "off" {
			if err != nil || got != math.MaxInt64 {
				t.Fatalf("ParseMemLimit(%q) = %d, %v", s, got, err)
			}
			return
		}
		if !byteCountRE.MatchString(s) {
			if err == nil {
				t.Fatalf("ParseMemLimit(%q) accepted a value outside the grammar", s)
			}
			return
		}
		digits, shift := strings.TrimSuffix(s, "B"), uint(0)
		if i := strings.IndexAny(digits, "KMGT"); i >= 0 {
			shift = 10 * uint(1+strings.IndexByte("KMGT", digits[i]))
			digits = digits[:i]
		}
		n, _ := new(big.Int).SetString(digits, 10)
		n.Lsh(n, shift)
		fits := n.IsInt64()
		if fits != (err == nil) || fits && got != n.Int64() {
			t.Fatalf("ParseMemLimit(%q) = %d, %v; the grammar gives %s", s, got, err, n)
		}
	})
}
