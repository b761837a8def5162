package plan

import (
	"context"
	"strings"

	"github.com/perfharness/harness/harness/instr"
	"github.com/perfharness/harness/harness/toolchain"
)

// instrTier is the plan's view of the instructions tier: valgrind and its
// CPU probe, or why the tier cannot be used.
type instrTier struct {
	probe func(ctx context.Context, tc *toolchain.Toolchain, level string) (*instr.CPU, error)
	err   error
}

// instrTier finds valgrind once, the first time a cell needs it (a spec
// without instructions cells never runs valgrind).
func (p *Plan) instrTier(ctx context.Context, opts Options) *instrTier {
	if p.instr != nil {
		return p.instr
	}
	t := &instrTier{probe: opts.ProbeCPU, err: opts.InstrErr}
	p.instr = t
	v := opts.Valgrind
	if v == nil && t.err == nil {
		v, t.err = instr.Find(ctx, opts.Env)
	}
	if t.err != nil {
		return t
	}
	if t.probe == nil {
		prober := &instr.Prober{Valgrind: v, Env: opts.Env}
		t.probe = prober.Probe
	}
	p.Valgrind = v
	p.Host.Valgrind = v.Version
	return t
}

// checkInstructions decides whether an instructions cell can be counted on
// this host: valgrind is installed, and its virtual CPU can represent the
// cell (what Go's runtime sees there, from the CPU probe of the cell's
// toolchain and level). It sets the cell's VirtualCPU and its counted
// environment.
func (p *Plan) checkInstructions(ctx context.Context, c *Cell, opts Options) error {
	t := p.instrTier(ctx, opts)
	if t.err != nil {
		return skipf("instructions tier: %v", t.err)
	}
	if c.GOMAXPROCS > 1 {
		return skipf("instructions are counted at GOMAXPROCS=1 (valgrind runs one thread at a time): the gomaxprocs=%d cell would count what gomaxprocs=1 counts", c.GOMAXPROCS)
	}
	cpu, err := t.probe(ctx, c.TC, instr.LevelSetting(c.TC.GOARCH, c.GOAMD64, c.GOARM64))
	if err != nil {
		return skipf("instructions tier: %v", err)
	}
	var required []string
	for _, f := range c.Requires {
		if !maskedBy(c.GODEBUG, c.TC.GOARCH, f) {
			required = append(required, goOptionName(f, c.TC.GOARCH))
		}
	}
	if why := cpu.Check(maskedOptions(c.GODEBUG), required); why != "" {
		return skipf("%s", why)
	}
	c.VirtualCPU = cpu
	return nil
}

// maskedOptions lists the cpu.X names a GODEBUG value turns off.
func maskedOptions(godebug string) []string {
	var out []string
	for _, kv := range strings.Split(godebug, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if name, ok := strings.CutPrefix(k, "cpu."); ok && v == "off" {
			out = append(out, name)
		}
	}
	return out
}

// maskedBy reports whether feature (a cpuid name) is one the GODEBUG value
// masks: such a requirement is the mask's, checked as a mask.
func maskedBy(godebug, goarch, feature string) bool {
	for _, f := range MaskedFeatures(godebug, goarch) {
		if f == feature {
			return true
		}
	}
	return false
}

// goOptionName is the GODEBUG cpu.X name of a cpuid feature name on goarch
// ("ADX" → "adx", "FMA3" → "fma"); a feature Go has no option for keeps its
// name, lower-cased, for the probe to not know.
func goOptionName(feature, goarch string) string {
	lower := strings.ToLower(feature)
	if goCPUOptions[goarch][lower] == feature {
		return lower
	}
	best := ""
	for name, f := range goCPUOptions[goarch] {
		if f == feature && (best == "" || name < best) {
			best = name
		}
	}
	if best != "" {
		return best
	}
	return lower
}
