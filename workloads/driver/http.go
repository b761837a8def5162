package driver

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Control endpoints of a server workload. The load client (httpload
// -control) brackets its measured window with them.
const (
	ControlStart = "/.harness/measure/start"
	ControlStop  = "/.harness/measure/stop"
)

// A ServerResult is what a server workload measured over the window between
// ControlStart and ControlStop, written as server.json.
type ServerResult struct {
	Format     int          `json:"format"`
	Status     string       `json:"status"` // ok, or failed with Reason
	Reason     string       `json:"reason"`
	GoVersion  string       `json:"go_version"`
	GOMAXPROCS int          `json:"gomaxprocs"`
	Addr       string       `json:"addr"`
	WindowNs   int64        `json:"window_ns"`
	Requests   uint64       `json:"requests"` // handled in the window, control calls excluded
	Runtime    RuntimeStats `json:"runtime"`
	Files      []string     `json:"files"`
	Warnings   []string     `json:"warnings"`
	Started    string       `json:"started"`
	Finished   string       `json:"finished"`
}

// ServeHTTP is a server workload's main: it serves h on a loopback address,
// measures the window the load client brackets with the control endpoints,
// writes server.json and the window's profiles into -out, and shuts down
// gracefully on SIGTERM or SIGINT.
func ServeHTTP(h http.Handler) {
	ctx, stop := SignalContext(context.Background())
	code := ServeCommand(ctx, h, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// ServeCommand is ServeHTTP without the process; it returns the exit code.
func ServeCommand(ctx context.Context, h http.Handler, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(filepath.Base(os.Args[0]), flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "`address` to listen on")
	allowRemote := fs.Bool("allow-remote", false, "allow a -listen address other than loopback")
	addrFile := fs.String("addr-file", "", "write the listening host:port to this `file` once accepting connections")
	out := fs.String("out", "", "output `dir`ectory for server.json and profiles")
	var profiles []string
	fs.Func("profiles", "comma `list` of cpu,heap,allocs,mutex,block,trace to collect over the window", func(s string) error {
		p, err := parseProfiles(s)
		profiles = p
		return err
	})
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	var errs []error
	if *out == "" {
		errs = append(errs, errors.New("-out: required"))
	}
	if err := checkLoopback(*listen, *allowRemote); err != nil {
		errs = append(errs, fmt.Errorf("-listen: %w", err))
	}
	if len(errs) > 0 {
		fmt.Fprintf(stderr, "usage error:\n%v\n", errors.Join(errs...))
		return ExitUsage
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitFailed
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitFailed
	}
	s := &server{dir: *out, profiles: profiles, addr: ln.Addr().String()}
	s.prof = newProfiler(s.dir, profiles) // heap sampling stays off until the window
	mux := http.NewServeMux()
	mux.HandleFunc(ControlStart, s.start)
	mux.HandleFunc(ControlStop, s.stop)
	mux.Handle("/", s.count(h))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if *addrFile != "" {
		if err := writeFileAtomic(*addrFile, func(w io.Writer) error { _, err := io.WriteString(w, s.addr); return err }); err != nil {
			fmt.Fprintf(stderr, "error: %v\n", err)
			return ExitFailed
		}
	}
	fmt.Fprintf(stdout, "serving on %s\n", s.addr)
	select {
	case <-ctx.Done():
	case err := <-served:
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitFailed
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "warning: shutdown: %v\n", err)
	}
	if err := s.finish("shut down by " + context.Cause(ctx).Error()); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitFailed
	}
	return ExitOK
}

// checkLoopback refuses addresses that are not loopback, unless allowed.
func checkLoopback(hostport string, allow bool) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return err
	}
	if allow || isLoopbackHost(host) {
		return nil
	}
	return fmt.Errorf("%q is not a loopback address; load stays on this machine unless -allow-remote is given", hostport)
}

// isLoopbackHost reports whether host is "localhost" or a loopback IP. Other
// names are not resolved: a name can change what it points at.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// A server tracks the measured window of a server workload.
type server struct {
	dir      string
	profiles []string
	addr     string
	requests atomic.Uint64

	mu      sync.Mutex
	prof    *profiler
	open    bool
	done    bool
	t0      time.Time
	snap0   snapshot
	rssOK   bool
	wait0   int64
	started string
}

func (s *server) count(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		h.ServeHTTP(w, r)
	})
}

func (s *server) start(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open || s.done {
		http.Error(w, "measured window already started", http.StatusConflict)
		return
	}
	s.open, s.started, s.t0 = true, time.Now().Format(time.RFC3339Nano), time.Now()
	s.prof.start()
	s.rssOK = resetPeakRSS()
	s.requests.Store(0)
	s.wait0 = runqueueWait()
	s.snap0 = takeSnapshot() // last, so the allocation counts bracket only the window
	io.WriteString(w, "started\n")
}

func (s *server) stop(w http.ResponseWriter, r *http.Request) {
	if err := s.finish(""); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	io.WriteString(w, "stopped\n")
}

// finish closes the window, if open, and writes server.json; why says how
// the window ended when not by ControlStop. It writes once.
func (s *server) finish(why string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil
	}
	s.done = true
	res := &ServerResult{
		Format: FormatVersion, Status: StatusOK, GoVersion: runtime.Version(),
		GOMAXPROCS: runtime.GOMAXPROCS(0), Addr: s.addr, Files: []string{}, Warnings: []string{},
		Started: s.started,
	}
	if !s.open {
		res.Status, res.Reason = StatusFailed, "the measured window was never started ("+ControlStart+")"
		if why != "" {
			res.Reason += "; " + why
		}
		s.prof.stop()
	} else {
		res.WindowNs = int64(time.Since(s.t0))
		res.Requests = s.requests.Load()
		res.Runtime = runtimeDelta(s.snap0, takeEndSnapshot())
		res.Runtime.PeakRSSB, res.Runtime.PeakRSSReset = peakRSS(), s.rssOK
		res.Runtime.RunqueueWaitNs = max(0, runqueueWait()-s.wait0)
		if !s.rssOK {
			res.Warnings = append(res.Warnings, "could not reset the peak RSS counter: peak_rss_B is since process start")
		}
		if why != "" {
			res.Warnings = append(res.Warnings, "window ended when the server "+why)
		}
		s.prof.stop()
		res.Files = append(res.Files, s.prof.files...)
		for _, err := range s.prof.errs {
			res.Warnings = append(res.Warnings, err.Error())
		}
	}
	res.Files = append(res.Files, "server.json")
	res.Finished = time.Now().Format(time.RFC3339Nano)
	return writeFileAtomic(filepath.Join(s.dir, "server.json"), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	})
}
