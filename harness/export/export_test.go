package export

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/perfharness/harness/harness/internal/fake"
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
	live, stop := Serve(ln, false, "fake", "h1", func(err error) { fmt.Fprintln(&warn, err) })
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
	if l := labels(fams["harness_latency_seconds"].GetMetric()[0]); l["run_id"] != "live" || l["spec"] != "fake" {
		t.Errorf("live labels %v", l)
	}
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/openmetrics-text") {
		t.Errorf("OpenMetrics negotiation: %s", resp.Header.Get("Content-Type"))
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
