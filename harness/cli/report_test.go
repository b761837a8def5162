package cli

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfharness/harness/harness/report"
	"github.com/perfharness/harness/harness/results"
)

func synthResults(t *testing.T, o report.SynthOptions) string {
	t.Helper()
	dir, err := report.Synthesize(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = Run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestReportCommand(t *testing.T) {
	res := synthResults(t, report.SynthOptions{Ops: 2, Runs: 3})
	reports := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runCLI(t, "report", res, "--reports", reports, "--no-png", "--filter", ".unit:sec/op")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{report.HTMLFile, report.MarkdownFile, report.TextFile} {
		if !strings.Contains(stdout, f) {
			t.Errorf("stdout does not name %s: %s", f, stdout)
		}
	}
	md, err := os.ReadFile(filepath.Join(reports, filepath.Base(res), report.MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	// The filter narrows the benchstat tables; the answers keep their
	// questions' metrics.
	_, tables, _ := strings.Cut(string(md), "## All metrics")
	if !strings.Contains(tables, "sec/op") || strings.Contains(tables, "p99-sec") {
		t.Errorf("--filter .unit:sec/op not applied:\n%s", md)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report"}, "want results/<run>"},
		{[]string{"report", res, "--col", "("}, "parsing col"},
		{[]string{"report", res, "--alpha", "2"}, "alpha"},
		{[]string{"report", t.TempDir()}, "no manifest"},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

func TestCompareCommand(t *testing.T) {
	a := synthResults(t, report.SynthOptions{Ops: 2, Runs: 6, Seed: 1})
	b := synthResults(t, report.SynthOptions{Ops: 2, Runs: 6, Seed: 2})
	code, stdout, stderr := runCLI(t, "compare", a, b, "--filter", ".unit:sec/op")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "vs base") || strings.Contains(stderr, "different hosts") {
		t.Errorf("same host:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	// Another host: the comparison still runs, with a loud warning.
	d, _ := results.Open(b)
	m, err := d.ReadManifest()
	if err != nil {
		t.Fatal(err)
	}
	m.Host.Brand = "Other CPU"
	m.Host.Features = []string{"AVX2"}
	if err := d.WriteManifest(m); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runCLI(t, "compare", a, b, "--format", "md")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"different hosts", "brand", "features only on a"} {
		if !strings.Contains(stderr, want) || !strings.Contains(stdout, want) {
			t.Errorf("host warning lacks %q:\nstdout:\n%s\nstderr:\n%s", want, stdout, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "compare", a, b, "--format", "xml"); code != ExitUsage {
		t.Errorf("--format xml: exit %d %s", code, stderr)
	}
	code, stdout, _ = runCLI(t, "compare", filepath.Join(a, "bench.txt"), filepath.Join(b, "bench.txt"), "--format", "csv")
	if code != ExitOK || !strings.HasPrefix(stdout, "table,benchmark,unit") {
		t.Errorf("bench.txt files as CSV: exit %d\n%s", code, stdout)
	}
}

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestPprofCommand(t *testing.T) {
	res := synthResults(t, report.SynthOptions{Ops: 1, Runs: 2})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"pprof", res, "synth/op0/go1.27.3", "--diff-base", "synth/op0/go1.26.8"}, &stdout, &stderr)
	}()
	var url string
	for deadline := time.Now().Add(30 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		url = strings.TrimSpace(stdout.String())
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/ui/") {
		t.Fatalf("url %q; stderr %s", url, stderr.String())
	}
	resp, err := http.Get(url + "flamegraph")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("flame graph: %s", resp.Status)
	}
	cancel()
	if code := <-done; code != ExitOK {
		t.Errorf("exit %d after interrupt: %s", code, stderr.String())
	}
	// The bound address only, not pprof's own "Serving web UI on
	// http://127.0.0.1:0" (the address asked for) before it.
	if out := stdout.String() + stderr.String(); strings.Contains(out, "Serving web UI") || regexp.MustCompile(`127\.0\.0\.1:0\b`).MatchString(out) {
		t.Errorf("only the bound address should be printed:\nstdout: %s\nstderr: %s", stdout.String(), stderr.String())
	}
	code, _, errOut := runCLI(t, "pprof", res, "synth/op0/go1.27.3", "--http", "0.0.0.0:0")
	if code != ExitUsage || !strings.Contains(errOut, "not a loopback address") {
		t.Errorf("non-loopback: exit %d %s", code, errOut)
	}
}
