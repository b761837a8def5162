package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	"github.com/perfharness/harness/harness/export"
	"github.com/perfharness/harness/harness/results"
)

// cmdExport writes a run's per-cell figures for monitoring systems:
// OpenMetrics text (also the Prometheus text format a Pushgateway takes)
// or JSON.
func cmdExport(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	format := fs.String("format", "openmetrics", "openmetrics or json")
	out := fs.String("o", "", "file to write (default: stdout)")
	root := fs.String("results", "results", "folder run ids are looked up in")
	var o export.Options
	fs.Var((*labelsFlag)(&o.Labels), "label", "put the run's `LABEL` (run_id, spec or host_id) on every series, not only on harness_run_info (repeatable)")
	pos, err := e.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return e.usage("%v", err)
	}
	if *format != "openmetrics" && *format != "json" {
		return e.usage("unknown --format %q (want openmetrics or json)", *format)
	}
	st, err := results.Find(pos[0], *root)
	if err != nil {
		return usageErr(err)
	}
	ex := export.Read(st.Path, st.Manifest)
	var b bytes.Buffer
	if *format == "json" {
		data, err := json.MarshalIndent(ex, "", "  ")
		if err != nil {
			return incomplete(err)
		}
		b.Write(append(data, '\n'))
	} else if err := ex.WriteOpenMetrics(&b, o); err != nil {
		return incomplete(err)
	}
	if *out == "" {
		e.stdout.Write(b.Bytes())
	} else if err := results.WriteFileAtomic(*out, b.Bytes()); err != nil {
		return incomplete(err)
	}
	for _, w := range ex.Warnings {
		e.logf("warning: %s", w)
	}
	return nil
}

// labelsFlag collects a repeated --label.
type labelsFlag []string

func (l *labelsFlag) String() string { return strings.Join(*l, ",") }

func (l *labelsFlag) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}
