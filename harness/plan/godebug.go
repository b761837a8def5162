package plan

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/perfharness/harness/harness/spec"
	"github.com/perfharness/harness/harness/toolchain"
)

// A cpuOptionError is a GODEBUG cpu.X setting the cell's runtime would not
// apply: it prints a complaint at startup and runs with the feature on, so
// the cell would measure the default under another name.
type cpuOptionError struct {
	msg string
	// levelOnly says the name exists, but not at the cell's GOAMD64 level:
	// with skip_unsupported such cells are skipped instead.
	levelOnly bool
}

func (e *cpuOptionError) Error() string { return e.msg }

// checkCPUOptions checks every cpu.X name in the cell's GODEBUG against the
// options of its toolchain's runtime at the cell's GOAMD64 level. When the
// toolchain's list cannot be read it warns once per toolchain and accepts
// the names.
func (p *Plan) checkCPUOptions(c *Cell, warned map[string]bool) error {
	if c.GODEBUG == "" || c.TC == nil {
		return nil
	}
	opts, err := c.TC.CPUOptions()
	if err != nil {
		if !warned[c.TC.Name] {
			warned[c.TC.Name] = true
			p.Warnings = append(p.Warnings, fmt.Sprintf("toolchain %s: GODEBUG cpu.X names not checked: %v", c.TC.Name, err))
		}
		return nil
	}
	level := 0
	if c.TC.GOARCH == "amd64" {
		level, _ = strconv.Atoi(strings.TrimPrefix(cmp.Or(c.GOAMD64, "v1"), "v"))
	}
	here := toolchain.CPUOptionNames(opts, level)
	for _, kv := range strings.Split(c.GODEBUG, ",") {
		k, _, _ := strings.Cut(kv, "=")
		name, ok := strings.CutPrefix(k, "cpu.")
		if !ok || slices.Contains(here, name) {
			continue
		}
		tc := fmt.Sprintf("toolchain %s (%s/%s)", c.TC.Name, c.TC.GOOS, c.TC.GOARCH)
		for _, o := range opts {
			if o.Name == name {
				return &cpuOptionError{levelOnly: true, msg: fmt.Sprintf(
					"%s: %s ignores it at GOAMD64=v%d and above, which require %s",
					k, tc, o.BelowGOAMD64, name)}
			}
		}
		// Every level's names: the typo is the same whatever the level.
		all := toolchain.CPUOptionNames(opts, 0)
		return &cpuOptionError{msg: fmt.Sprintf("%s: %s has no CPU option %q%s; its options are: %s",
			k, tc, name, spec.DidYouMean(name, all), strings.Join(all, ", "))}
	}
	return nil
}
