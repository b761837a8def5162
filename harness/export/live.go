package export

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/results"
)

// A Live serves a run's progress and each cell's latest figures for
// Prometheus to scrape while harness run goes on (--metrics-addr). It binds
// loopback unless told otherwise and refuses non-loopback clients unless
// allowRemote, as pprof's web UI does.
type Live struct {
	allowRemote bool
	bound       net.Addr
	opts        Options
	start       time.Time

	mu          sync.Mutex
	ex          Run
	cells       map[string]int // index into ex.Cells
	done, total int
}

// CheckAddr checks a metrics address and resolves its host: an empty host
// means 127.0.0.1; a non-loopback host needs allowRemote; the port is a
// number from 0 to 65535. It listens on nothing, so a command checks the
// address before it plans or builds anything.
func CheckAddr(addr string, allowRemote bool) (hostport string, err error) {
	h, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--metrics-addr %q: want HOST:PORT, e.g. 127.0.0.1:9464", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("--metrics-addr %q: the port must be a number from 0 to 65535", addr)
	}
	if h == "" {
		h = "127.0.0.1"
	}
	if !host.IsLoopback(h) && !allowRemote {
		return "", fmt.Errorf("--metrics-addr %s is not a loopback address: the run's figures would be served to the network; pass --metrics-allow-remote to mean it", addr)
	}
	return net.JoinHostPort(h, port), nil
}

// Listen listens on a metrics address checked by CheckAddr.
func Listen(addr string, allowRemote bool) (net.Listener, error) {
	hostport, err := CheckAddr(addr, allowRemote)
	if err != nil {
		return nil, err
	}
	return net.Listen("tcp", hostport)
}

// Serve starts serving the figures of the run of spec on host hostID on
// ln, shaped by o; warn receives a failure of the server; stop shuts it
// down.
func Serve(ln net.Listener, allowRemote bool, spec, hostID string, o Options, warn func(error)) (l *Live, stop func()) {
	l = &Live{allowRemote: allowRemote, bound: ln.Addr(), opts: o, start: time.Now(), cells: map[string]int{}}
	l.ex.startUnix = float64(l.start.UnixNano()) / 1e9
	l.ex.Spec, l.ex.HostID, l.ex.Status = spec, hostID, results.RunRunning
	// Only GET (and HEAD) /metrics: any other path is 404, another
	// method 405, as a scrape target answers.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !l.allowed(w, r) {
			return
		}
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed: the metrics endpoint answers GET", http.StatusMethodNotAllowed)
			return
		}
		l.serveMetrics(w, r)
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			warn(fmt.Errorf("metrics server: %w", err))
		}
	}()
	return l, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
}

// allowed refuses clients that are not on this host, and requests whose
// Host is not the bound address (DNS rebinding), unless allowRemote.
func (l *Live) allowed(w http.ResponseWriter, r *http.Request) bool {
	if l.allowRemote {
		return true
	}
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil || !host.IsLoopback(h) {
		http.Error(w, "harness serves its metrics to this host only (--metrics-allow-remote to change that)", http.StatusForbidden)
		return false
	}
	if l.bound != nil && !host.NamesBound(r.Host, l.bound) {
		http.Error(w, fmt.Sprintf("permission denied: Host %q is not %s", r.Host, l.bound), http.StatusForbidden)
		return false
	}
	return true
}

// serveMetrics writes the figures: OpenMetrics (its info type included)
// to a scraper that asks for it, else the Prometheus text format.
func (l *Live) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if !l.allowed(w, r) {
		return
	}
	o := l.opts
	ct := "text/plain; version=0.0.4; charset=utf-8"
	if strings.Contains(r.Header.Get("Accept"), "application/openmetrics-text") {
		ct = "application/openmetrics-text; version=1.0.0; charset=utf-8"
		o.InfoType = true
	}
	var b bytes.Buffer
	l.mu.Lock()
	writeOpenMetrics(&b, &l.ex, &progress{Done: l.done, Total: l.total, Elapsed: time.Since(l.start).Seconds()}, o)
	l.mu.Unlock()
	w.Header().Set("Content-Type", ct)
	if r.Method == http.MethodHead {
		return
	}
	w.Write(b.Bytes())
}

// AfterRun is the run.Options.AfterRun hook: it records the run's progress
// and the cell's figures from the run just finished (read from its folder
// here, outside the lock).
func (l *Live) AfterRun(d *results.Dir, c *results.Cell, r *results.Run, done, total int) {
	ce := newCell(c)
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
			old := l.ex.Cells[i]
			ce.Latency, ce.Throughput, ce.Target = old.Latency, old.Throughput, old.Target
			ce.GCPauseP99, ce.PeakRSS, ce.Bench = old.GCPauseP99, old.PeakRSS, old.Bench
		}
		l.ex.Cells[i] = ce
		return
	}
	l.cells[c.ID] = len(l.ex.Cells)
	l.ex.Cells = append(l.ex.Cells, ce)
}
