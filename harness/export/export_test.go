package export

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/perfharness/harness/harness/internal/fake"
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

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func TestLabelName(t *testing.T) {
	for in, want := range map[string]string{"toolchain": "toolchain", "gc-flags": "gc_flags", "2x": "_2x", "__x": "_x", "": "config", "a.b": "a_b"} {
		if got := labelName(in); got != want {
			t.Errorf("labelName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLiveMetrics(t *testing.T) {
	if _, err := Listen("0.0.0.0:0", false); err == nil || !strings.Contains(err.Error(), "--metrics-allow-remote") {
		t.Errorf("a non-loopback address without --metrics-allow-remote: %v", err)
	}
	if _, err := Listen("nonsense", false); err == nil {
		t.Errorf("an address without a port should be refused")
	}
	ln, err := Listen(":0", false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ln.Addr().String(), "127.0.0.1:") {
		t.Errorf("an empty host binds %s, want loopback", ln.Addr())
	}
	var warn bytes.Buffer
	live, stop := Serve(ln, false, "fake", "h1", Options{}, func(err error) { fmt.Fprintln(&warn, err) })
	defer stop()

	root := t.TempDir()
	dir := fake.Run(t, root, "live", fake.Day0, "h1", 1, fake.OK("spin", 70000))
	d, _ := results.Open(dir)
	m, _ := d.ReadManifest()
	c := m.Cells[0]
	live.AfterRun(d, c, c.Runs[0], 1, 20)
	live.AfterRun(d, c, c.Runs[1], 2, 20)

	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("status %d, content type %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	fams := parseMetrics(t, string(body))
	if v := fams["harness_progress_runs_done"].GetMetric()[0].GetGauge().GetValue(); v != 2 {
		t.Errorf("runs done %v, want 2", v)
	}
	if v := fams["harness_progress_runs_scheduled"].GetMetric()[0].GetGauge().GetValue(); v != 20 {
		t.Errorf("runs total %v, want 20", v)
	}
	promtoolCheck(t, body)
	if l := labels(fams["harness_latency_seconds"].GetMetric()[0]); l["run_id"] != "" || l["cell"] != "synthetic/spin/local" {
		t.Errorf("live labels %v: the cell's, not the run's", l)
	}
	if l := labels(fams["harness_run_info"].GetMetric()[0]); l["run_id"] != "live" || l["spec"] != "fake" || l["host_id"] != "h1" || l["status"] != "running" {
		t.Errorf("live harness_run_info %v", l)
	}
	// Only GET (and HEAD) /metrics.
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"HEAD", "/metrics", 200}, {"POST", "/metrics", 405}, {"PUT", "/metrics", 405}, {"DELETE", "/metrics", 405},
		{"GET", "/", 404}, {"POST", "/", 404}, {"GET", "/metrics/", 404}, {"GET", "/debug/pprof/", 404},
	} {
		req, _ := http.NewRequest(tc.method, "http://"+ln.Addr().String()+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.code)
		}
		if tc.code == 405 && resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s: Allow %q", tc.method, tc.path, resp.Header.Get("Allow"))
		}
	}
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/openmetrics-text") {
		t.Errorf("OpenMetrics negotiation: %s", resp.Header.Get("Content-Type"))
	}
	// An OpenMetrics scraper gets the info type; the series is the same.
	if !strings.Contains(string(body), "# TYPE harness_run info\nharness_run_info{") || !strings.HasSuffix(string(body), "# EOF\n") {
		t.Errorf("OpenMetrics: the run as an info metric:\n%s", body)
	}

	// DNS rebinding: a page whose name resolves to 127.0.0.1 sends its own
	// name as the Host; only the bound address (or localhost) is answered.
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	for _, tc := range []struct {
		host string
		code int
	}{
		{"evil.example", 403}, {"evil.example:" + port, 403}, {"127.0.0.1:1", 403},
		{"localhost:" + port, 200}, {"127.0.0.1:" + port, 200},
	} {
		req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/metrics", nil)
		req.Host = tc.host
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("Host %q: %d, want %d", tc.host, resp.StatusCode, tc.code)
		}
	}

	// A client from another host is refused unless allowed.
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/metrics", nil)
	r.RemoteAddr = "192.0.2.7:40000"
	live.serveMetrics(rec, r)
	if rec.Code != http.StatusForbidden {
		t.Errorf("a remote client got %d, want 403", rec.Code)
	}
	open := &Live{allowRemote: true, start: time.Now(), cells: map[string]int{}}
	rec = httptest.NewRecorder()
	open.serveMetrics(rec, r)
	if rec.Code != http.StatusOK {
		t.Errorf("with --metrics-allow-remote a remote client got %d", rec.Code)
	}
}

// promtoolCheck runs promtool check metrics, the Prometheus project's own
// parser and linter, on text: it must pass with no finding.
func promtoolCheck(t *testing.T, text []byte) {
	t.Helper()
	cmd := exec.Command(peer.Tool(t, "promtool", "prometheus"), "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s\n%s", err, out, text)
	}
}

// oddRun has the units and labels that are hard to name well: ns and MB
// to convert, a dot, a counter's suffix, a type name, an abbreviation,
// two units making one name, and a label value needing every escape.
func oddRun() *Run {
	return &Run{RunID: "20261101-020000-x", Spec: "x", Status: results.RunComplete, HostID: "h1", startUnix: 1.7e9,
		Cells: []Cell{
			{ID: "json/decode/local", Workload: "json", Op: "decode", Kind: "fixed-rate", Status: results.StatusOK,
				Config:     []results.KV{{Key: "toolchain", Value: "go1.26.8"}, {Key: "gc-flags", Value: "-l \"q\" \\ \nnl"}, {Key: "rate", Value: "1000/s"}},
				Runs:       map[results.Status]int{results.StatusOK: 9, results.StatusRateNotAchieved: 1},
				Latency:    map[string]float64{"0.5": 50000, "0.9": 70000, "0.99": 120000, "0.999": 400000, "1": 2e6},
				Throughput: 999.5, Target: 1000, GCPauseP99: 0, PeakRSS: 8 << 20,
				Bench: []Figure{{"Json/op=decode-2", "ns/op", 52000, 9}, {"Json/op=decode-2", "p99.9-ns", 400000, 9},
					{"Json/op=decode-2", "ops/s", 999.5, 9}, {"Json/op=decode-2", "MB/s", 12.5, 9}, {"Json/op=decode-2", "gc-pause-p99-ns", 0, 9},
					{"Json/op=decode-2", "peak-rss-B", 8 << 20, 9}, {"Json/op=decode-2", "errors", 0, 9}, {"Json/op=decode-2", "widgets_total", 3, 9},
					{"Json/op=decode-2", "p99-sec", 1.2e-4, 9}, {"Json/op=decode-2", "p99_sec", 1.3e-4, 9}, {"Json/op=decode-2", "counter", 1, 9},
					{"Json/op=decode-2", "m", 1, 9}, {"Json/op=decode-2", "allocs/op", 30, 9}, {"Json/op=decode-2", "B/op", 2048, 9},
					{"Json/op=decode-2", "instructions/op", 1e5, 9}}},
			{ID: "crypto/local", Workload: "crypto", Kind: "gotest", Status: results.StatusOK,
				Config: []results.KV{{Key: "toolchain", Value: "go1.26.8"}},
				Runs:   map[results.Status]int{results.StatusOK: 10},
				Bench:  []Figure{{"Sign-2", "ns/op", 1.2e6, 10}, {"Sign-2", "B/op", 514, 10}}},
		}}
}

// TestOpenMetricsLint: promtool accepts the text with every run label
// choice, and the names follow the conventions.
func TestOpenMetricsLint(t *testing.T) {
	for _, o := range []Options{{}, {Labels: []string{"run_id"}}, {Labels: RunLabels}} {
		var b bytes.Buffer
		if err := oddRun().WriteOpenMetrics(&b, o); err != nil {
			t.Fatal(err)
		}
		promtoolCheck(t, b.Bytes())
		fams := parseMetrics(t, b.String())
		p99 := fams["harness_benchmark_p99_seconds"]
		if p99 == nil || len(p99.GetMetric()) != 2 || labels(p99.GetMetric()[0])["unit"] != "p99-sec" {
			t.Errorf("two units making one name share it, told apart by unit: %v", p99)
		}
		if spo := fams["harness_benchmark_seconds_per_op"]; spo == nil || spo.GetMetric()[0].GetGauge().GetValue() != 5.2e-05 || labels(spo.GetMetric()[0])["unit"] != "" {
			t.Errorf("ns/op in seconds, no unit label when the name says it all: %v", spo)
		}
		for name, f := range fams {
			for _, m := range f.GetMetric() {
				_, has := labels(m)["run_id"]
				if want := name == "harness_run_info" || slices.Contains(o.Labels, "run_id"); has != want {
					t.Errorf("%v: %s has run_id: %v", o.Labels, name, has)
				}
			}
		}
	}
	if err := (Options{Labels: []string{"cell"}}).Validate(); err == nil {
		t.Errorf("a label that is not the run's was accepted")
	}
}

func TestBenchmarkFamily(t *testing.T) {
	for _, tc := range []struct {
		unit, name, base string
		value, want      float64
		why              string
	}{
		{"ns/op", "harness_benchmark_seconds_per_op", "", 52000, 5.2e-05, "time per op in seconds; per op is no base unit"},
		{"sec/op", "harness_benchmark_seconds_per_op", "", 5.2e-05, 5.2e-05, "the tidied spelling names the same family"},
		{"p99.9-ns", "harness_benchmark_p99_9_seconds", "seconds", 400000, 0.0004, "a dot breaks words"},
		{"MB/s", "harness_benchmark_bytes_per_second", "", 12.5, 1.25e7, "MB is 10⁶ bytes, s a second"},
		{"ops/ms", "harness_benchmark_ops_per_second", "", 2, 2000, "a time in the denominator multiplies"},
		{"B/op", "harness_benchmark_bytes_per_op", "", 514, 514, "bytes"},
		{"peak-rss-B", "harness_benchmark_peak_rss_bytes", "bytes", 8, 8, "ends in a base unit: a UNIT line"},
		{"allocs/op", "harness_benchmark_allocs_per_op", "", 3, 3, "no unit word"},
		{"widgets_total", "harness_benchmark_widgets_total_value", "", 1, 1, "a counter's suffix on a gauge is avoided"},
		{"h", "harness_benchmark_seconds", "seconds", 2, 7200, "hours are seconds"},
		{"m", "harness_benchmark_munit", "", 1, 1, "an abbreviation promtool would flag, of minutes or metres"},
		{"counter", "harness_benchmark_counters", "", 1, 1, "a type name promtool would flag"},
		{"", "harness_benchmark_value", "", 1, 1, "nothing to name it by"},
		{"Ünïts/ÉV", "harness_benchmark_n_ts_per_v", "", 1, 1, "letters outside [a-z] break words"},
	} {
		name, base, mul, div := benchmarkFamily(tc.unit)
		if name != tc.name || base != tc.base {
			t.Errorf("%q: %s (%q), want %s (%q): %s", tc.unit, name, base, tc.name, tc.base, tc.why)
		}
		if got := tc.value * mul / div; got != tc.want {
			t.Errorf("%q: %v becomes %v, want %v", tc.unit, tc.value, got, tc.want)
		}
	}
}

var metricName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// FuzzBenchmarkFamily: any unit a workload reports makes a valid family
// name, never with another type's suffix, its UNIT a suffix of it.
func FuzzBenchmarkFamily(f *testing.F) {
	for _, u := range []string{"ns/op", "p99.9-ns", "MB/s", "widgets_total", "a*b/c*d", "µs", "__x__"} {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, u string) {
		name, base, mul, div := benchmarkFamily(u)
		if !metricName.MatchString(name) || strings.Contains(name, "__") {
			t.Fatalf("%q: not a metric name: %q", u, name)
		}
		for _, s := range reservedSuffixes {
			if strings.HasSuffix(name, s) {
				t.Fatalf("%q: %s ends in %s", u, name, s)
			}
		}
		if base != "" && !strings.HasSuffix(name, "_"+base) {
			t.Fatalf("%q: unit %s is not the suffix of %s", u, base, name)
		}
		if !(mul > 0 && div > 0) {
			t.Fatalf("%q: factor %v/%v", u, mul, div)
		}
	})
}
