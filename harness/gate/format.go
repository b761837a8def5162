package gate

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// FormatValue renders a value of a tidied unit for people: seconds as
// durations ("71.3µs"), bytes with binary prefixes ("8.1 MiB"), anything
// else with four significant digits.
func FormatValue(v float64, unit string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	num, _, _ := strings.Cut(unit, "/")
	switch {
	case num == "sec" || strings.HasSuffix(num, "-sec"):
		return formatSeconds(v)
	case num == "B" || strings.HasSuffix(num, "-B"):
		return formatBytes(v) + strings.TrimPrefix(unit, num)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func formatSeconds(s float64) string {
	abs := math.Abs(s)
	switch {
	case abs == 0:
		return "0s"
	case abs < 1e-6:
		return trim(s*1e9) + "ns"
	case abs < 1e-3:
		return trim(s*1e6) + "µs"
	case abs < 1:
		return trim(s*1e3) + "ms"
	case abs < 600:
		return trim(s) + "s"
	}
	return time.Duration(s * 1e9).Round(time.Second).String()
}

func formatBytes(b float64) string {
	abs := math.Abs(b)
	for _, u := range []struct {
		div  float64
		name string
	}{{1 << 40, "TiB"}, {1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if abs >= u.div {
			return trim(b/u.div) + " " + u.name
		}
	}
	return trim(b) + " B"
}

// trim prints four significant digits without trailing zeros.
func trim(v float64) string {
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// formatStat renders a side as "center ±x%" (the interval's larger
// half-width relative to the center), or "—" when absent.
func formatStat(s Stat, unit string) string {
	if s.N == 0 {
		return "—"
	}
	out := FormatValue(float64(s.Center), unit)
	c := float64(s.Center)
	if c != 0 && s.N > 1 {
		hw := math.Max(float64(s.Hi)-c, c-float64(s.Lo)) / math.Abs(c)
		switch {
		case hw > 10, math.IsInf(hw, 0):
			out += " ±>1000%"
		case hw > 0:
			out += " ±" + Percent(hw)
		}
	}
	return out + fmt.Sprintf(" (n=%d)", s.N)
}

// formatP renders a p-value.
func formatP(p float64) string {
	switch {
	case math.IsNaN(p):
		return "—"
	case p < 0.001:
		return "<0.001"
	}
	return strconv.FormatFloat(p, 'f', 3, 64)
}
