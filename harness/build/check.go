package build

import (
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
)

// ErrMismatch marks a binary whose build info contradicts its build: another
// Go version, or other experiments in effect, than the toolchain promised.
var ErrMismatch = errors.New("build info does not match the build")

// expectation is what a binary's build info must show.
type expectation struct {
	Version      string   // the toolchain's Go version, e.g. go1.27.3
	GOEXPERIMENT string   // the GOEXPERIMENT the build asked for, as written
	Effective    []string // the experiments the toolchain says are then in effect
	Defaults     []string // the toolchain's experiments when GOEXPERIMENT is empty
	CGOEnabled   string   // "0" or "1" when the build set CGO_ENABLED ("": not checked)
}

// checkBuildInfo compares a binary's build info with what its build asked
// for.
//
// Note: the build info carries experiments twice. The GOEXPERIMENT setting is
// the raw value the go command saw ("nojsonv2,arenas", or a redundant
// "jsonv2"), which proves the environment reached it but cannot be compared
// as a set without re-implementing the toolchain's parser (aliases such as
// regabi, experiments forced on per architecture). The Go version's "X:"
// suffix is the linker's canonical list of differences from the toolchain's
// defaults ("go1.27.3-X:arenas,nojsonv2", with a space before Go 1.26). So the
// setting is checked as a string, and the experiments in effect — the
// defaults with the X: differences applied — are compared as a set with what
// the toolchain reports for the cell. The defaults are the toolchain's own
// baseline for release builds; a toolchain built with a make-time
// GOEXPERIMENT would need its baseline instead.
func checkBuildInfo(bi *debug.BuildInfo, want expectation) error {
	version, diff := splitGoVersion(bi.GoVersion)
	if version != want.Version {
		return fmt.Errorf("%w: the binary was built by %s, the toolchain is %s", ErrMismatch, version, want.Version)
	}
	setting, cgo := "", ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "GOEXPERIMENT":
			setting = s.Value
		case "CGO_ENABLED":
			cgo = s.Value
		}
	}
	if want.CGOEnabled != "" && cgo != want.CGOEnabled {
		return fmt.Errorf("%w: the build info records CGO_ENABLED=%q, the build asked for %q", ErrMismatch, cgo, want.CGOEnabled)
	}
	if setting != want.GOEXPERIMENT {
		return fmt.Errorf("%w: the build info records GOEXPERIMENT=%q, the build asked for %q", ErrMismatch, setting, want.GOEXPERIMENT)
	}
	got := applyExperiments(want.Defaults, diff)
	wantOn := sortedSet(want.Effective)
	if !slices.Equal(got, wantOn) {
		missing, extra := setDiff(wantOn, got), setDiff(got, wantOn)
		return fmt.Errorf("%w: experiments in effect are [%s], want [%s] (missing [%s], unexpected [%s])", ErrMismatch,
			strings.Join(got, " "), strings.Join(wantOn, " "), strings.Join(missing, " "), strings.Join(extra, " "))
	}
	return nil
}

// splitGoVersion splits a build info Go version into the version and the
// experiments listed after "X:".
func splitGoVersion(v string) (version string, experiments []string) {
	for _, sep := range []string{"-X:", " X:"} {
		if i := strings.Index(v, sep); i >= 0 {
			for _, e := range strings.Split(v[i+len(sep):], ",") {
				if e = strings.TrimSpace(e); e != "" {
					experiments = append(experiments, e)
				}
			}
			return v[:i], experiments
		}
	}
	return v, nil
}

// applyExperiments applies a canonical list of differences ("arenas",
// "nojsonv2") to the defaults and returns the experiments then on, sorted.
func applyExperiments(defaults, diff []string) []string {
	on := map[string]bool{}
	for _, e := range defaults {
		on[e] = true
	}
	for _, e := range diff {
		if name, ok := strings.CutPrefix(e, "no"); ok && on[name] {
			delete(on, name)
		} else {
			on[e] = true
		}
	}
	out := make([]string, 0, len(on))
	for e := range on {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

func sortedSet(list []string) []string {
	out := slices.Clone(list)
	sort.Strings(out)
	return slices.Compact(out)
}

// setDiff returns the elements of a not in b; both sorted.
func setDiff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if _, found := slices.BinarySearch(b, x); !found {
			out = append(out, x)
		}
	}
	return out
}
