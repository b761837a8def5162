package host

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteTable writes f as the aligned, sectioned text that `harness cpu`
// prints. Every field appears, with "unknown" where it was not detected.
func WriteTable(w io.Writer, f Fingerprint) error {
	var b bytes.Buffer
	section := func(title string) {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(title + "\n")
	}
	row := func(key, value string) {
		fmt.Fprintf(&b, "  %-14s %s\n", key, value)
	}

	section("CPU")
	row("brand", orUnknown(f.Brand))
	row("vendor", orUnknown(f.Vendor))
	if f.Family == 0 && f.Model == 0 && f.Stepping == 0 {
		// No x86 family is 0: all three were not detected.
		row("family", Unknown)
		row("model", Unknown)
		row("stepping", Unknown)
	} else {
		row("family", fmt.Sprintf("%d (%#x)", f.Family, f.Family))
		row("model", fmt.Sprintf("%d (%#x)", f.Model, f.Model))
		row("stepping", strconv.Itoa(f.Stepping))
	}
	row("arch", orUnknown(f.Arch)+"/"+orUnknown(f.OS))
	row("hypervisor", hypervisorString(f.CPU))
	row("id", orUnknown(f.ID))

	section("Cores")
	row("logical", count(f.LogicalCores))
	row("physical", count(f.PhysicalCores))
	row("threads/core", count(f.ThreadsPerCore))
	row("online", count(f.OnlineCPUs))
	row("usable", count(f.UsableCPUs))

	section("Caches")
	row("L1i", bytesString(int64(f.Cache.L1I)))
	row("L1d", bytesString(int64(f.Cache.L1D)))
	row("L2", bytesString(int64(f.Cache.L2)))
	row("L3", bytesString(int64(f.Cache.L3)))

	section("ISA level")
	switch f.Arch {
	case "amd64":
		row("GOAMD64", orUnknown(f.GOAMD64))
	case "arm64":
		row("GOARM64", orUnknown(f.GOARM64))
	default:
		row("level", Unknown+" (no GOAMD64 or GOARM64 on "+orUnknown(f.Arch)+")")
	}

	section(fmt.Sprintf("Features (%d)", len(f.Features)))
	if len(f.Features) == 0 {
		b.WriteString("  " + Unknown + "\n")
	}
	for _, line := range wrap(f.Features, 78) {
		b.WriteString("  " + line + "\n")
	}

	section("Host")
	row("kernel", orUnknown(f.Kernel))
	row("governor", orUnknown(f.Governor))
	row("boost", orUnknown(f.Boost))
	row("load average", loadString(f.LoadAvg))
	row("ASLR", orUnknown(f.ASLR))
	row("memory", bytesString(f.MemTotalB))
	row("hostname", orUnknown(f.Hostname))
	row("harness go", orUnknown(f.GoVersion))
	if f.Valgrind != "" {
		row("valgrind", f.Valgrind)
	}

	section(fmt.Sprintf("Warnings (%d)", len(f.Warnings)))
	if len(f.Warnings) == 0 {
		b.WriteString("  none\n")
	}
	for _, warning := range f.Warnings {
		b.WriteString("  - " + warning + "\n")
	}

	_, err := w.Write(b.Bytes())
	return err
}

func orUnknown(s string) string {
	if s == "" {
		return Unknown
	}
	return s
}

func count(n int) string {
	if n <= 0 {
		return Unknown
	}
	return strconv.Itoa(n)
}

func hypervisorString(c CPU) string {
	switch {
	case !c.Hypervisor:
		return "no"
	case c.HypervisorVendor == "":
		return "yes"
	}
	return "yes (" + c.HypervisorVendor + ")"
}

func loadString(avg []float64) string {
	if len(avg) != 3 {
		return Unknown
	}
	return fmt.Sprintf("%.2f %.2f %.2f (1, 5, 15 min)", avg[0], avg[1], avg[2])
}

// bytesString formats a size in binary units: exact when the size is a whole
// number of its largest unit ("32 KiB"), else to one decimal ("15.6 GiB").
func bytesString(n int64) string {
	if n < 0 {
		return Unknown
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i, div := 0, int64(1)
	for i+1 < len(units) && n >= div<<10 {
		i, div = i+1, div<<10
	}
	if n%div == 0 {
		return fmt.Sprintf("%d %s", n/div, units[i])
	}
	return fmt.Sprintf("%.1f %s", float64(n)/float64(div), units[i])
}

// wrap joins words with spaces into lines at most width bytes long.
func wrap(words []string, width int) []string {
	var lines []string
	var line strings.Builder
	for _, word := range words {
		if line.Len() > 0 && line.Len()+1+len(word) > width {
			lines = append(lines, line.String())
			line.Reset()
		}
		if line.Len() > 0 {
			line.WriteByte(' ')
		}
		line.WriteString(word)
	}
	if line.Len() > 0 {
		lines = append(lines, line.String())
	}
	return lines
}
