package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"

	"github.com/perfharness/harness/harness/host"
)

func cmdPlan(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	asJSON := fs.Bool("json", false, "print the plan as JSON")
	verbose := fs.Bool("v", false, "show every cell's complete build and run environment")
	pos, err := e.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	p, err := e.loadPlan(ctx, pos[0], host.Detect(), e.say)
	if err != nil {
		return err
	}
	for _, w := range p.Warnings {
		e.logf("warning: %s", w)
	}
	if *asJSON {
		return e.writeJSON(p.JSON())
	}
	p.WriteText(e.stdout, *verbose)
	return nil
}

func cmdCPU(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	asJSON := fs.Bool("json", false, "print the fingerprint as JSON (stable keys)")
	if _, err := e.parse(fs, args, 0, 0); err != nil {
		return err
	}
	f := host.Detect()
	if *asJSON {
		return e.writeJSON(f)
	}
	return host.WriteTable(e.stdout, f)
}

func (e *env) writeJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func cmdVersion(ctx context.Context, e *env, args []string) error {
	if _, err := e.parse(e.flags(), args, 0, 0); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, Version())
	return nil
}

// Version describes this harness binary: module version, VCS revision when
// stamped, and the Go that built it.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "harness (unknown version)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
			if len(rev) > 12 {
				rev = rev[:12]
			}
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	out := "harness " + v
	if rev != "" {
		out += " " + rev + dirty
	}
	return out + " " + bi.GoVersion
}
