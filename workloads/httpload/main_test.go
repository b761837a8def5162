package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfharness/harness/workloads/driver"
)

func TestLoadsServer(t *testing.T) {
	for _, c := range []string{clientH1, clientNetHTTP} {
		t.Run(strings.ReplaceAll(c, "/", ""), func(t *testing.T) { testLoadsServer(t, c) })
	}
}

func testLoadsServer(t *testing.T, client string) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Test") != "yes" || string(b) != "ping" || r.Method != "POST" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if hits.Add(1)%10 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-url", srv.URL + "/x", "-method", "POST", "-header", "X-Test: yes", "-body", "ping",
		"-rate", "1000", "-duration", "1s", "-warmup", "0s", "-concurrency", "4", "-out", dir, "-client", client}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Completed, Errors uint64
		OpReport          report `json:"op_report"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	rep := r.OpReport
	if r.Completed != 1000 || rep.StatusCodes["200"] != 900 || rep.StatusCodes["503"] != 100 || r.Errors != 100 {
		t.Errorf("completed %d errors %d codes %v; want 1000 requests, 900×200, 100×503 counted as errors", r.Completed, r.Errors, rep.StatusCodes)
	}
	if rep.Dials > 4 || rep.MaxConns != 4 || rep.Client != client {
		t.Errorf("client %s dialed %d connections (max %d); want %s, at most -concurrency=4", rep.Client, rep.Dials, rep.MaxConns, client)
	}
}

func TestRefusesRemoteTargets(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-url", "http://10.1.2.3/"}, `host "10.1.2.3" is not loopback`},
		{[]string{"-url", "http://example.com/"}, `host "example.com" is not loopback`},
		{[]string{"-url", "http://127.0.0.1/", "-control", "http://192.168.0.1"}, "-control: host"},
		{[]string{"-url", "https://127.0.0.1/"}, "only http"},
		{[]string{}, "-url: required"},
		{[]string{"-url", "http://[::1]:1/", "-body", "a", "-body-file", "f"}, "give one"},
		{[]string{"-url", "http://127.0.0.1/", "-client", "curl"}, `-client: "curl"`},
	} {
		var out, errb bytes.Buffer
		args := append(tt.args, "-rate", "10", "-out", t.TempDir())
		if code := run(context.Background(), args, &out, &errb); code != driver.ExitUsage || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d mentioning %q", tt.args, code, errb.String(), driver.ExitUsage, tt.want)
		}
	}
}

// httpload brackets its window with a driver.ServeHTTP server's control
// endpoints, and the server writes server.json for that window.
func TestControlsServerWindow(t *testing.T) {
	sdir, ldir := t.TempDir(), t.TempDir()
	addrFile := filepath.Join(sdir, "addr")
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan int)
	go func() {
		served <- driver.ServeCommand(ctx, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") }),
			[]string{"-addr-file", addrFile, "-out", sdir, "-profiles", "cpu"}, io.Discard, io.Discard)
	}()
	var addr []byte
	for i := 0; i < 500 && len(addr) == 0; i++ {
		time.Sleep(10 * time.Millisecond)
		addr, _ = os.ReadFile(addrFile)
	}
	if len(addr) == 0 {
		t.Fatal("server did not write -addr-file")
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-url", "http://" + string(addr) + "/", "-control", "http://" + string(addr),
		"-rate", "500", "-duration", "1s", "-warmup", "200ms", "-out", ldir}, &out, &errb)
	if code != 0 {
		t.Fatalf("httpload exit %d: %s", code, errb.String())
	}
	cancel()
	if code := <-served; code != 0 {
		t.Fatalf("server exit %d", code)
	}
	b, err := os.ReadFile(filepath.Join(sdir, "server.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s driver.ServerResult
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	// The window holds the measured requests (warm-up excluded), give or
	// take requests in flight at its edges.
	if s.Status != "ok" || s.Requests < 490 || s.Requests > 510 || s.WindowNs <= 0 || len(s.Files) != 2 {
		t.Errorf("server.json: %+v; want ok, ≈500 requests, cpu.pprof and server.json", s)
	}
}

// Two generators on one server, from one start instant, merged: the
// requests and status codes of the single schedule.
func TestGeneratorsMerge(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	at := time.Now().Add(300 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	dirs := []string{t.TempDir(), t.TempDir()}
	codes := make(chan int, 2)
	for i, d := range dirs {
		go func() {
			var out, errb bytes.Buffer
			codes <- run(context.Background(), []string{"-url", srv.URL, "-rate", "400", "-duration", "1s", "-warmup", "0s",
				"-concurrency", "4", "-generators", "2", "-generator", strconv.Itoa(i), "-start-at", at, "-out", d}, &out, &errb)
		}()
	}
	for range dirs {
		if c := <-codes; c != 0 {
			t.Fatalf("generator exit %d", c)
		}
	}
	merged := t.TempDir()
	var out, errb bytes.Buffer
	if code := run(context.Background(), append([]string{"merge", "-out", merged}, dirs...), &out, &errb); code != 0 {
		t.Fatalf("merge exit %d: %s", code, errb.String())
	}
	b, err := os.ReadFile(filepath.Join(merged, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Completed  uint64
		TargetRate float64 `json:"target_rate"`
		OpReport   report  `json:"op_report"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Completed != 400 || r.TargetRate != 400 || r.OpReport.StatusCodes["200"] != 400 || r.OpReport.MaxConns != 8 || hits.Load() != 400 {
		t.Errorf("merged: %d completed, target %g/s, codes %v, %d connections at most; server saw %d; want 400 requests, 400/s, 400×200, 2×4 connections",
			r.Completed, r.TargetRate, r.OpReport.StatusCodes, r.OpReport.MaxConns, hits.Load())
	}
}
