package cli

import (
	"encoding/json"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/perfharness/harness/harness/export"
	"github.com/perfharness/harness/harness/results"
)

// parseMetrics parses text with the Prometheus text parser (what a
// Pushgateway and a scrape of the text format use) and fails the test on
// any error.
func parseMetrics(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("the Prometheus text parser refuses the export: %v\n%s", err, text)
	}
	return fams
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func TestExportOpenMetrics(t *testing.T) {
	root := t.TempDir()
	dir := fakeRun(t, root, "run1", day0, "h1", 1, ok("spin", 70000), fakeCell{Op: "other", Status: results.StatusCrashed, P50: 1})
	// A configuration value with every character that needs escaping.
	d, _ := results.Open(dir)
	m, _ := d.ReadManifest()
	m.Cells[0].Config = append(m.Cells[0].Config, results.KV{Key: "gc-flags", Value: `-l "quoted" back\slash` + "\nnewline"})
	d.WriteManifest(m)

	code, stdout, stderr := harness(t, "export", "--format", "openmetrics", dir)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasSuffix(stdout, "# EOF\n") {
		t.Errorf("OpenMetrics text must end with # EOF")
	}
	fams := parseMetrics(t, stdout)
	for name, typ := range map[string]dto.MetricType{
		"harness_run_start_time_seconds": dto.MetricType_GAUGE, "harness_latency_seconds": dto.MetricType_GAUGE,
		"harness_throughput_ops_per_second": dto.MetricType_GAUGE, "harness_gc_pause_p99_seconds": dto.MetricType_GAUGE,
		"harness_peak_rss_bytes": dto.MetricType_GAUGE, "harness_cell_runs": dto.MetricType_GAUGE, "harness_benchmark_value": dto.MetricType_GAUGE,
	} {
		f := fams[name]
		if f == nil || f.GetType() != typ || f.GetHelp() == "" {
			t.Errorf("family %s missing, not a gauge, or without help", name)
		}
	}
	var quantiles []string
	for _, mt := range fams["harness_latency_seconds"].GetMetric() {
		l := labels(mt)
		if l["cell"] != "synthetic/spin/local" || l["run_id"] != "run1" || l["workload"] != "synthetic" || l["op"] != "spin" || l["toolchain"] != "go1.26.8" {
			t.Errorf("latency labels: %v", l)
		}
		if l["gc_flags"] != `-l "quoted" back\slash`+"\nnewline" {
			t.Errorf("escaped label value did not survive the round trip: %q", l["gc_flags"])
		}
		quantiles = append(quantiles, l["quantile"])
		if l["quantile"] == "0.5" && (mt.GetGauge().GetValue() < 69e-6 || mt.GetGauge().GetValue() > 71e-6) {
			t.Errorf("p50 %v s, want about 70µs (the median of the runs, in seconds)", mt.GetGauge().GetValue())
		}
	}
	if strings.Join(quantiles, " ") != "0.5 0.9 0.99 0.999 1" {
		t.Errorf("quantiles %v", quantiles)
	}
	runs := map[string]float64{}
	for _, mt := range fams["harness_cell_runs"].GetMetric() {
		l := labels(mt)
		runs[l["op"]+":"+l["status"]] = mt.GetGauge().GetValue()
	}
	if runs["spin:ok"] != 10 || runs["other:crashed"] != 10 {
		t.Errorf("run counts %v", runs)
	}
	if got := fams["harness_peak_rss_bytes"].GetMetric(); len(got) != 1 || got[0].GetGauge().GetValue() != 8388608 {
		t.Errorf("peak RSS: only the cell with ok runs, 8 MiB: %v", got)
	}
	for _, line := range strings.Split(stdout, "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[1] == "TYPE" && (strings.HasSuffix(f[2], "_total") || strings.HasSuffix(f[2], "_info")) {
			t.Errorf("OpenMetrics reserves _total and _info for counters and info metrics: %s", line)
		}
		if strings.HasPrefix(line, "# UNIT ") {
			f := strings.Fields(line)
			if !strings.HasSuffix(f[2], "_"+f[3]) {
				t.Errorf("OpenMetrics: a family with a unit must end in it: %s", line)
			}
		}
	}

	code, stdout, _ = harness(t, "export", "--format", "json", dir)
	var ex export.Run
	if code != ExitOK || json.Unmarshal([]byte(stdout), &ex) != nil || len(ex.Cells) != 2 || ex.Cells[0].Latency["0.99"] == 0 || len(ex.Cells[0].Bench) == 0 {
		t.Errorf("json export: %d\n%s", code, stdout)
	}
	if code, _, stderr := harness(t, "export", "--format", "xml", dir); code != ExitUsage || !strings.Contains(stderr, "want openmetrics or json") {
		t.Errorf("bad format: %d %s", code, stderr)
	}
}
