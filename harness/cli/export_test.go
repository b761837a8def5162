package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/perfharness/harness/harness/export"
	"github.com/perfharness/harness/harness/internal/peer"
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

// promtoolCheck runs promtool check metrics, the Prometheus project's own
// parser and linter, on text: it must pass with no finding.
func promtoolCheck(t *testing.T, text string) {
	t.Helper()
	cmd := exec.Command(peer.Tool(t, "promtool", "prometheus"), "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
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
	promtoolCheck(t, stdout)
	fams := parseMetrics(t, stdout)
	for name, typ := range map[string]dto.MetricType{
		"harness_run_info": dto.MetricType_GAUGE, "harness_run_start_time_seconds": dto.MetricType_GAUGE,
		"harness_latency_seconds": dto.MetricType_SUMMARY, "harness_throughput_ops_per_second": dto.MetricType_GAUGE,
		"harness_gc_pause_p99_seconds": dto.MetricType_GAUGE, "harness_peak_rss_bytes": dto.MetricType_GAUGE,
		"harness_cell_runs": dto.MetricType_GAUGE, "harness_benchmark_seconds_per_op": dto.MetricType_GAUGE,
		"harness_benchmark_p99_seconds": dto.MetricType_GAUGE, "harness_benchmark_ops_per_second": dto.MetricType_GAUGE,
	} {
		f := fams[name]
		if f == nil || f.GetType() != typ || f.GetHelp() == "" {
			t.Errorf("family %s missing, not a %s, or without help", name, typ)
		}
	}
	if !strings.HasPrefix(stdout, "# HELP harness_run_info ") {
		t.Errorf("the run's info metric should come first (OpenMetrics: target metadata first)")
	}
	if l := labels(fams["harness_run_info"].GetMetric()[0]); l["run_id"] != "run1" || l["spec"] != "fake" || l["host_id"] != "h1" || l["status"] != "incomplete" {
		t.Errorf("harness_run_info labels: %v", l)
	}
	if l := labels(fams["harness_run_start_time_seconds"].GetMetric()[0]); len(l) != 0 {
		t.Errorf("the start time needs no labels: %v", l)
	}
	lat := fams["harness_latency_seconds"].GetMetric()
	if len(lat) != 1 {
		t.Fatalf("latency: %d summaries, want the one cell with ok runs", len(lat))
	}
	l := labels(lat[0])
	if l["cell"] != "synthetic/spin/local" || l["workload"] != "synthetic" || l["op"] != "spin" || l["toolchain"] != "go1.26.8" {
		t.Errorf("latency labels: %v", l)
	}
	if _, ok := l["run_id"]; ok {
		t.Errorf("run_id on every series by default: %v", l)
	}
	if l["gc_flags"] != `-l "quoted" back\slash`+"\nnewline" {
		t.Errorf("escaped label value did not survive the round trip: %q", l["gc_flags"])
	}
	var quantiles []string
	for _, q := range lat[0].GetSummary().GetQuantile() {
		quantiles = append(quantiles, fmt.Sprint(q.GetQuantile()))
		if q.GetQuantile() == 0.5 && (q.GetValue() < 69e-6 || q.GetValue() > 71e-6) {
			t.Errorf("p50 %v s, want about 70µs (the median of the runs, in seconds)", q.GetValue())
		}
	}
	if strings.Join(quantiles, " ") != "0.5 0.9 0.99 0.999 1" {
		t.Errorf("quantiles %v", quantiles)
	}
	if !strings.Contains(stdout, `quantile="1.0"}`) {
		t.Errorf("quantile labels in OpenMetrics' canonical form: 1.0, not 1")
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
		// harness_run_info is the info metric as the Prometheus text
		// format spells it (a gauge of 1): the series an OpenMetrics
		// scrape of "# TYPE harness_run info" stores too.
		if f := strings.Fields(line); len(f) > 2 && f[1] == "TYPE" && f[2] != "harness_run_info" && (strings.HasSuffix(f[2], "_total") || strings.HasSuffix(f[2], "_info")) {
			t.Errorf("OpenMetrics reserves _total and _info for counters and info metrics: %s", line)
		}
		if strings.HasPrefix(line, "# UNIT ") {
			f := strings.Fields(line)
			if !strings.HasSuffix(f[2], "_"+f[3]) {
				t.Errorf("OpenMetrics: a family with a unit must end in it: %s", line)
			}
		}
	}

	// --label run_id: on every series, for a Pushgateway group that keeps
	// several runs.
	code, stdout, stderr = harness(t, "export", "--label", "run_id", dir)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	promtoolCheck(t, stdout)
	fams = parseMetrics(t, stdout)
	for _, name := range []string{"harness_latency_seconds", "harness_cell_runs", "harness_run_start_time_seconds", "harness_benchmark_seconds_per_op"} {
		for _, mt := range fams[name].GetMetric() {
			if l := labels(mt); l["run_id"] != "run1" || l["spec"] != "" {
				t.Errorf("--label run_id: %s %v", name, l)
			}
		}
	}
	if code, _, stderr := harness(t, "export", "--label", "cell", dir); code != ExitUsage || !strings.Contains(stderr, "run_id, spec, host_id") {
		t.Errorf("--label of a cell label: exit %d %s", code, stderr)
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
