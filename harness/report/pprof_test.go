package report

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfharness/harness/harness/results"
)

// hostileProfile writes, into every ok run of a cell, a CPU profile whose
// functions each name one file: fn[i] names files[i].
func hostileProfile(t *testing.T, d *results.Dir, c *results.Cell, files []string) {
	t.Helper()
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"}, Period: 10e6,
		Mapping: []*profile.Mapping{{ID: 1, Start: 0x1000, Limit: 0x100000, File: "/bin/sh", HasFunctions: true}},
	}
	for i, f := range files {
		fn := &profile.Function{ID: uint64(i + 1), Name: "main.fn" + string(rune('a'+i)), Filename: f}
		loc := &profile.Location{ID: uint64(i + 1), Mapping: p.Mapping[0], Address: uint64(0x1000 * (i + 2)), Line: []profile.Line{{Function: fn, Line: 1}}}
		p.Function = append(p.Function, fn)
		p.Location = append(p.Location, loc)
		p.Sample = append(p.Sample, &profile.Sample{Location: []*profile.Location{loc}, Value: []int64{10, 10 * 10e6}})
	}
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	for _, r := range c.Runs {
		if err := d.WriteFile(filepath.Join(r.Dir, "cpu.pprof"), buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPprofSourceConfined serves a results folder whose profile names files
// outside the build's source roots — /etc/passwd, /etc/shadow, ../ paths, a
// symlink inside the module root leading out, a non-source file inside it —
// and whose manifest claims roots this host does not confirm (GOROOT=/etc,
// GOMODCACHE=/): /ui/source shows none of them, and does show a source file
// inside the module root.
func TestPprofSourceConfined(t *testing.T) {
	res := synth(t, SynthOptions{Ops: 1, Runs: 2})
	tmp := t.TempDir()
	mod := filepath.Join(tmp, "mod")
	outside := filepath.Join(tmp, "outside")
	for _, dir := range []string{mod, outside} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path, data string) {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(mod, "go.mod"), "module example.com/m\n")
	write(filepath.Join(mod, "main.go"), "package main // SHOWN-MARKER\n")
	write(filepath.Join(mod, "notes.txt"), "NOT-SOURCE-MARKER\n")
	write(filepath.Join(outside, "secret.go"), "package secret // OUTSIDE-MARKER\n")
	if err := os.Symlink(filepath.Join(outside, "secret.go"), filepath.Join(mod, "link.go")); err != nil {
		t.Fatal(err)
	}
	files := []string{
		filepath.Join(mod, "main.go"),                    // fna: shown
		"/etc/passwd",                                    // fnb
		"/etc/shadow",                                    // fnc
		filepath.Join(outside, "secret.go"),              // fnd
		filepath.Join(mod, "link.go"),                    // fne: a symlink out of the root
		filepath.Join(mod, "notes.txt"),                  // fnf: not a source file
		"../outside/secret.go",                           // fng
		strings.Repeat("../", 20) + "etc/passwd",         // fnh
		filepath.Join(mod, "..", "outside", "secret.go"), // fni
		"/proc/self/cwd/../outside/secret.go",            // fnj
	}
	d, err := results.Open(res)
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.ReadManifest()
	if err != nil {
		t.Fatal(err)
	}
	cell := m.Cell("synth/op0/go1.27.3")
	for _, b := range m.Builds {
		if b.Key == cell.Build {
			b.ModuleRoot = mod
			b.Env = []string{"GOROOT=/etc", "GOMODCACHE=/"}
		}
	}
	if err := d.WriteManifest(m); err != nil {
		t.Fatal(err)
	}
	hostileProfile(t, d, cell, files)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	urls := make(chan string, 1)
	done := make(chan error, 1)
	var logBuf bytes.Buffer
	log := &syncWriter{w: &logBuf}
	go func() {
		done <- ServePprof(ctx, res, cell.ID, PprofOptions{Ready: func(u string) { urls <- u }, Log: log})
	}()
	var u string
	select {
	case u = <-urls:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(30 * time.Second):
		t.Fatal("pprof UI did not start")
	}
	get := func(path, host string) (int, string) {
		t.Helper()
		req, err := http.NewRequest("GET", u+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	passwd, _ := os.ReadFile("/etc/passwd")
	passwdLine, _, _ := strings.Cut(string(passwd), "\n")
	secrets := []string{"OUTSIDE-MARKER", "NOT-SOURCE-MARKER"}
	if passwdLine != "" {
		secrets = append(secrets, passwdLine)
	}
	if shadow, err := os.ReadFile("/etc/shadow"); err == nil && len(shadow) > 0 {
		line, _, _ := strings.Cut(string(shadow), "\n")
		secrets = append(secrets, line)
	}
	for i := range files {
		fn := "main.fn" + string(rune('a'+i))
		for _, page := range []string{"source", "disasm", "top", "graph", "peek"} {
			code, body := get(page+"?f="+url.QueryEscape("^"+fn+"$"), "")
			for _, s := range secrets {
				if strings.Contains(body, s) {
					t.Errorf("/ui/%s for %s (%s): status %d, the page shows %q", page, fn, files[i], code, s)
				}
			}
		}
	}
	if code, body := get("source?f=main.fna", ""); code != 200 || !strings.Contains(body, "SHOWN-MARKER") {
		t.Errorf("a source file inside the module root is not shown: %d\n%.500s", code, body)
	}
	log.mu.Lock()
	if strings.Contains(logBuf.String(), "Serving web UI") {
		t.Errorf("pprof's own address line reached the log: %q", logBuf.String())
	}
	if !strings.Contains(logBuf.String(), "not shown") {
		t.Errorf("no notice of the files not shown: %q", logBuf.String())
	}
	log.mu.Unlock()

	// DNS rebinding: only the bound address (or localhost) as Host.
	port := strings.TrimSuffix(strings.TrimPrefix(u, "http://127.0.0.1:"), "/ui/")
	for _, tt := range []struct {
		host string
		code int
	}{
		{"evil.example", 403},
		{"evil.example:" + port, 403},
		{"127.0.0.1:1", 403},
		{"127.0.0.1", 403},
		{"localhost:" + port, 200},
		{"127.0.0.1:" + port, 200},
	} {
		for _, path := range []string{"flamegraph", "source?f=main.fna", "download"} {
			if code, _ := get(path, tt.host); code != tt.code {
				t.Errorf("Host %q, /ui/%s: status %d, want %d", tt.host, path, code, tt.code)
			}
		}
	}
	// Nothing is written: pprof's settings pages are not served.
	req, _ := http.NewRequest("POST", u+"saveconfig?config=x", strings.NewReader("{}"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode < 400 {
		t.Errorf("saveconfig: %v %v", resp, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("after cancel: %v", err)
	}

	// --no-source: not even the module's own file.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	go func() {
		done <- ServePprof(ctx2, res, cell.ID, PprofOptions{NoSource: true, Ready: func(u string) { urls <- u }})
	}()
	select {
	case u = <-urls:
	case err := <-done:
		t.Fatal(err)
	}
	if _, body := get("source?f=main.fna", ""); strings.Contains(body, "SHOWN-MARKER") {
		t.Error("NoSource: a source file is shown")
	}
	cancel2()
	<-done
}

// syncWriter serializes writes from pprof's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// Source roots come from the manifest but count only when this host
// confirms them.
func TestSourceRoots(t *testing.T) {
	goroot := runtime.GOROOT()
	mod := t.TempDir()
	os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module example.com/m\n"), 0o644)
	noMod := t.TempDir()
	fakeRoot := t.TempDir() // a GOROOT look-alike whose src/go.mod is not std
	os.MkdirAll(filepath.Join(fakeRoot, "src"), 0o755)
	os.WriteFile(filepath.Join(fakeRoot, "src", "go.mod"), []byte("module evil\n"), 0o644)
	for _, tt := range []struct {
		why   string
		build results.Build
		want  []string
	}{
		{"a real module root and GOROOT", results.Build{ModuleRoot: mod, Env: []string{"GOROOT=" + goroot}}, []string{mod, filepath.Join(goroot, "src")}},
		{"a module root without go.mod", results.Build{ModuleRoot: noMod}, nil},
		{"a relative module root", results.Build{ModuleRoot: "."}, nil},
		{"the file system root", results.Build{ModuleRoot: "/", Env: []string{"GOROOT=/", "GOMODCACHE=/"}}, nil},
		{"GOROOT=/etc", results.Build{Env: []string{"GOROOT=/etc"}}, nil},
		{"a GOROOT whose src is not std", results.Build{Env: []string{"GOROOT=" + fakeRoot}}, nil},
		{"a module cache without cache/download", results.Build{Env: []string{"GOMODCACHE=" + mod}}, nil},
	} {
		b := tt.build
		b.Key = "k"
		m := &results.Manifest{Builds: []*results.Build{&b}}
		got := sourceRoots(m, &results.Cell{Build: "k"})
		var want []string
		for _, w := range tt.want {
			r, _ := filepath.EvalSymlinks(w)
			want = append(want, r)
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: roots %q, want %q", tt.why, got, want)
		}
	}
}
