package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEndToEnd builds the alloc binary and runs cgo-malloc briefly under
// each allocator, checking result.json's op_report, and under an LD_PRELOAD
// that names no library, checking that setup fails and says why.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	if !cgoOn {
		t.Skip("cgo-malloc needs cgo")
	}
	bin := filepath.Join(t.TempDir(), "alloc")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tt := range []struct {
		name, preload, lib string // lib: a file that must be installed, else skip
		status, allocator  string
		reason             string
	}{
		{"glibc", "", "", "ok", "glibc", ""},
		{"tcmalloc", "libtcmalloc_minimal.so.4", "libtcmalloc_minimal.so.4", "ok", "tcmalloc", ""},
		{"jemalloc", "libjemalloc.so.2", "libjemalloc.so.2", "ok", "jemalloc", ""},
		{"missing", "/nonexistent/libtcmalloc_minimal.so.4", "", "failed", "",
			`LD_PRELOAD="/nonexistent/libtcmalloc_minimal.so.4": /nonexistent/libtcmalloc_minimal.so.4 not mapped into this process`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.lib != "" && !installed(tt.lib) {
				msg := tt.lib + " is not installed (scripts/install-deps installs it)"
				if os.Getenv("CI") == "true" {
					t.Fatal(msg + "; under CI=true this test may not be skipped")
				}
				t.Skip(msg)
			}
			out := t.TempDir()
			// The test checks the allocator, not timing: generous lag and
			// rate bounds keep a busy machine from turning the run invalid.
			cmd := exec.Command(bin, "-op", "cgo-malloc", "-rate", "1000", "-duration", "300ms", "-warmup", "100ms",
				"-max-lag-p99", "10s", "-rate-tolerance", "0.9", "-out", out)
			cmd.Env = os.Environ()
			if tt.preload != "" {
				cmd.Env = append(cmd.Env, "LD_PRELOAD="+tt.preload)
			}
			stdout, err := cmd.CombinedOutput()
			var res struct {
				Status, Reason string
				Completed      uint64
				Errors         uint64
				OpReport       *opReport `json:"op_report"`
			}
			b, rerr := os.ReadFile(filepath.Join(out, "result.json"))
			if rerr != nil {
				t.Fatalf("no result.json (%v); run: %v\n%s", rerr, err, stdout)
			}
			if err := json.Unmarshal(b, &res); err != nil {
				t.Fatal(err)
			}
			status := res.Status
			if status == "rate-not-achieved" && tt.status == "ok" {
				t.Logf("the machine was too busy for the rate (%s); the files are still complete", res.Reason)
				status = "ok"
			}
			if status != tt.status || !strings.Contains(res.Reason, tt.reason) {
				t.Fatalf("status %q reason %q; want %q with %q\n%s", res.Status, res.Reason, tt.status, tt.reason, stdout)
			}
			if tt.status == "failed" {
				if code := cmd.ProcessState.ExitCode(); code != 1 {
					t.Errorf("exit status %d, want 1 for a failed setup", code)
				}
				return
			}
			if err != nil {
				t.Fatalf("run: %v\n%s", err, stdout)
			}
			if res.OpReport == nil || res.OpReport.Allocator != tt.allocator {
				t.Errorf("op_report %+v; want allocator %q", res.OpReport, tt.allocator)
			}
			if res.Completed == 0 || res.Errors != 0 {
				t.Errorf("completed %d ops with %d errors; want some, none failing", res.Completed, res.Errors)
			}
		})
	}
}

// installed reports whether the dynamic loader can find lib in the usual
// library folders.
func installed(lib string) bool {
	for _, pat := range []string{"/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/local/lib", "/lib/*-linux-gnu", "/usr/lib/*-linux-gnu"} {
		if m, _ := filepath.Glob(filepath.Join(pat, lib)); len(m) > 0 {
			return true
		}
	}
	return false
}
