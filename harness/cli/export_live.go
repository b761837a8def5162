package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/perfharness/harness/harness/results"
)

// A liveMetrics serves a run's progress and each cell's latest figures for
// Prometheus to scrape while harness run goes on (--metrics-addr). It binds
// loopback unless told otherwise and refuses non-loopback clients unless
// allowRemote, as pprof's web UI does.
type liveMetrics struct {
	allowRemote bool
	start       time.Time

	mu          sync.Mutex
	ex          export
	cells       map[string]int // index into ex.Cells
	done, total int
}

// metricsListener checks and resolves --metrics-addr: an empty host means
// 127.0.0.1; a non-loopback host needs allowRemote.
func metricsListener(addr string, allowRemote bool) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr %q: want HOST:PORT, e.g. 127.0.0.1:9464", addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if !isLoopbackHost(host) && !allowRemote {
		return nil, fmt.Errorf("--metrics-addr %s is not a loopback address: the run's figures would be served to the network; pass --metrics-allow-remote to mean it", addr)
	}
	return net.Listen("tcp", net.JoinHostPort(host, port))
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// serveLiveMetrics starts serving on ln; stop shuts the server down.
func serveLiveMetrics(ln net.Listener, allowRemote bool, warn io.Writer) (l *liveMetrics, stop func()) {
	l = &liveMetrics{allowRemote: allowRemote, start: time.Now(), cells: map[string]int{}}
	l.ex.startUnix = float64(l.start.UnixNano()) / 1e9
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", l.serveMetrics)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if !l.allowed(w, r) {
			return
		}
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "harness run: live metrics at /metrics (OpenMetrics)\n")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(warn, "harness: warning: metrics server: %v\n", err)
		}
	}()
	return l, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
}

// allowed refuses clients that are not on this host unless allowRemote.
func (l *liveMetrics) allowed(w http.ResponseWriter, r *http.Request) bool {
	if l.allowRemote {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil || !isLoopbackHost(host) {
		http.Error(w, "harness serves its metrics to this host only (--metrics-allow-remote to change that)", http.StatusForbidden)
		return false
	}
	return true
}

func (l *liveMetrics) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if !l.allowed(w, r) {
		return
	}
	var b bytes.Buffer
	l.mu.Lock()
	writeOpenMetrics(&b, &l.ex, &liveProgress{Done: l.done, Total: l.total, Elapsed: time.Since(l.start).Seconds()})
	l.mu.Unlock()
	ct := "text/plain; version=0.0.4; charset=utf-8"
	if strings.Contains(r.Header.Get("Accept"), "application/openmetrics-text") {
		ct = "application/openmetrics-text; version=1.0.0; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Write(b.Bytes())
}

// afterRun is the run.Options.AfterRun hook: it records the run's progress
// and the cell's figures from the run just finished (read from its folder
// here, outside the lock).
func (l *liveMetrics) afterRun(d *results.Dir, c *results.Cell, r *results.Run, done, total int) {
	ce := newCellExport(c)
	for _, run := range c.Runs {
		if run.Finished() {
			ce.Runs[run.Status]++
		}
	}
	if r.Status == results.StatusOK {
		if f, err := readRunFigures(filepath.Join(d.Path, r.Dir)); err == nil {
			ce.fill([]runFigures{f})
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done, l.total = done, total
	l.ex.RunID, l.ex.Status = filepath.Base(d.Path), results.RunRunning
	if i, ok := l.cells[c.ID]; ok {
		if r.Status != results.StatusOK {
			// Keep the last good figures; the run counts say what failed.
			ce.Latency, ce.Throughput, ce.Target = l.ex.Cells[i].Latency, l.ex.Cells[i].Throughput, l.ex.Cells[i].Target
			ce.GCPauseP99, ce.PeakRSS, ce.Bench = l.ex.Cells[i].GCPauseP99, l.ex.Cells[i].PeakRSS, l.ex.Cells[i].Bench
		}
		l.ex.Cells[i] = ce
		return
	}
	l.cells[c.ID] = len(l.ex.Cells)
	l.ex.Cells = append(l.ex.Cells, ce)
}

// setRun names the run's spec and host once known.
func (l *liveMetrics) setRun(spec, hostID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ex.Spec, l.ex.HostID = spec, hostID
}

// liveMetricsHook starts the --metrics-addr server for a run (nothing when
// addr is empty) and returns the run.Options.AfterRun hook feeding it and a
// stop function.
func (e *env) liveMetricsHook(addr string, allowRemote bool, spec, hostID string) (func(*results.Dir, *results.Cell, *results.Run, int, int), func(), error) {
	if addr == "" {
		return nil, func() {}, nil
	}
	ln, err := metricsListener(addr, allowRemote)
	if err != nil {
		return nil, nil, err
	}
	if allowRemote && !isLoopbackHost(strings.Trim(ln.Addr().(*net.TCPAddr).IP.String(), "[]")) {
		fmt.Fprintf(e.stderr, "harness: warning: serving metrics on %s to any host that can reach it (--metrics-allow-remote)\n", ln.Addr())
	}
	fmt.Fprintf(e.stderr, "harness: live metrics at http://%s/metrics\n", ln.Addr())
	l, stop := serveLiveMetrics(ln, allowRemote, e.stderr)
	l.setRun(spec, hostID)
	return l.afterRun, stop, nil
}
