// Command httpload drives an HTTP server open loop at a target rate with the
// workload driver's engine and writes the same files as a fixed-rate
// workload (result.json, bench.txt, latency.hlog, profiles).
//
//	httpload -url http://127.0.0.1:8080/ -rate 20000 -duration 10s -out DIR \
//	    [-control http://127.0.0.1:8080] [-method GET] [-header K:V]... \
//	    [-body S | -body-file F] [-timeout 5s] [-client h1|net/http] \
//	    [-procs 1] [-allow-remote] [driver flags]
//	httpload merge -out DIR GENERATOR_DIR...
//
// Latency counts from each request's intended start. Requests go through one
// keep-alive connection pool of at most -concurrency connections, so the
// client never opens connections without bound (and never fills the port
// range with TIME_WAIT sockets); when all are busy, requests queue and the
// queueing counts in latency. Only loopback targets are allowed unless
// -allow-remote is given. With -control, the client calls the server's
// measure start and stop endpoints (driver.ServeHTTP) around its window.
//
// Two clients send the requests. h1, the default, serializes the request
// once and does each round trip on the calling goroutine over a kept-alive
// HTTP/1.1 connection with a reused read buffer (status line, headers,
// Content-Length, chunked and read-to-close bodies; see respReader),
// allocating nothing per request; a GET, HEAD, OPTIONS or TRACE that meets
// a kept-alive connection the server has closed is sent again on a new
// one, and counted. net/http is the standard library's client, for what h1
// does not speak (TLS, HTTP/2 and proxies would be added there); it costs
// more CPU per request, which on a small machine is taken from the server.
//
// The client runs on one P (-procs 1: GOMAXPROCS), one event loop as a
// wrk2 thread is, and paces -pacer auto without spinning: on Go's timers
// while they keep time, with a fine sleep per request when they do not
// (driver.Config.Pacer). Both keep the CPU it takes from the server under
// test near wrk2's.
//
// One run's load can come from several processes, on one machine or many:
// each is started with -generators N, its own -generator I (0 to N-1) and
// the same -start-at instant, and plays every N-th request of the
// schedule; "httpload merge" then adds their results up into one, as a
// single process would have written it, with histograms merged losslessly
// (see driver.Merge). Only one of them should be given -control.
//
// result.json's op_report holds status code counts and error counts by kind
// for the measured window, the connections dialed over the whole run, the
// requests sent again, and the client. A response with status 400 or above
// counts as an error.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/perfharness/harness/workloads/driver"
)

func main() {
	ctx, stop := driver.SignalContext(context.Background())
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// merge is "httpload merge -out DIR GEN_DIR...": it combines the folders of
// the generators of one run (-generators N) into DIR (see driver.Merge).
func merge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("httpload merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "output `dir`ectory for the merged result")
	if err := fs.Parse(args); err != nil {
		return driver.ExitUsage
	}
	if *out == "" || fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: httpload merge -out DIR GENERATOR_DIR...")
		return driver.ExitUsage
	}
	res, err := driver.Merge(*out, fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return driver.ExitFailed
	}
	return driver.Report(res, nil, &driver.Config{}, stdout, stderr)
}

type headerFlag []string

func (h *headerFlag) String() string { return strings.Join(*h, ", ") }
func (h *headerFlag) Set(s string) error {
	if k, _, ok := strings.Cut(s, ":"); !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("header %q: want Name: value", s)
	}
	*h = append(*h, s)
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "merge" {
		return merge(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("httpload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	// An HTTP client never spins: the core a spinning pacer takes is one
	// the server under test needs on a small machine. It paces auto: on
	// Go's timers while the responses in flight keep them prompt (high
	// rates, where a wake-up per request would cost the server CPU), with
	// a fine sleep per request otherwise (see driver.Config.Pacer).
	cfg := driver.Config{Name: "http", Op: "request", Concurrency: 32, Spin: -1, Pacer: driver.PacerAuto}
	cfg.RegisterFlags(fs)
	var o options
	fs.StringVar(&o.url, "url", "", "target `URL`")
	fs.StringVar(&o.method, "method", "GET", "HTTP `method`")
	fs.Var((*headerFlag)(&o.headers), "header", "request header `Name: value` (repeatable)")
	fs.StringVar(&o.body, "body", "", "request `body`")
	bodyFile := fs.String("body-file", "", "read the request body from `file`")
	fs.DurationVar(&o.timeout, "timeout", defaultTimeout, "per-request `timeout`")
	fs.BoolVar(&o.allowRemote, "allow-remote", false, "allow targets that are not loopback")
	fs.StringVar(&o.control, "control", "", "base `URL` of the server's control endpoints, called around the window")
	fs.StringVar(&o.client, "client", clientH1, "HTTP `client`: h1 (lean HTTP/1.1 keep-alive) or net/http")
	// Note: one P makes the client one event loop, as one wrk2 thread is:
	// with two Ps on two cores, Go's scheduler woke an idle P's thread for
	// most runnable goroutines, and the client made 1.2–2 context switches
	// per request against 0.5–0.9 with one (wrk2: 0.3–0.7), and used
	// 20–50% more CPU. One P carries ~40k req/s on this h1 client; more
	// load than that is for more processes (generators), each on its cores.
	procs := 1
	if os.Getenv("GOMAXPROCS") != "" {
		procs = 0 // the environment has set it
	}
	fs.IntVar(&procs, "procs", procs, "GOMAXPROCS of the client (0: Go's default; 1 unless $GOMAXPROCS is set)")
	if err := fs.Parse(args); err != nil {
		return driver.ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %q\n", fs.Args())
		return driver.ExitUsage
	}
	if *bodyFile != "" {
		if o.body != "" {
			fmt.Fprintln(stderr, "usage error: -body and -body-file: give one")
			return driver.ExitUsage
		}
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			fmt.Fprintf(stderr, "usage error: -body-file: %v\n", err)
			return driver.ExitUsage
		}
		o.body = string(b)
	}
	if procs < 0 {
		fmt.Fprintf(stderr, "usage error: -procs: must be >= 0 (got %d)\n", procs)
		return driver.ExitUsage
	}
	if procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	}
	o.conns = cfg.Concurrency
	op, err := newRequestOp(o)
	if err != nil {
		fmt.Fprintf(stderr, "usage error: %v\n", err)
		return driver.ExitUsage
	}
	if cfg.Name == "" {
		cfg.Name = filepath.Base(os.Args[0])
	}
	res, err := driver.Run(ctx, cfg, op)
	return driver.Report(res, err, &cfg, stdout, stderr)
}
