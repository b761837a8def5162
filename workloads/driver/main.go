package driver

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Exit codes of a workload process.
const (
	ExitOK     = 0 // results written: status ok or rate-not-achieved
	ExitFailed = 1 // the run failed (result.json says why, when it could be written)
	ExitUsage  = 2 // bad flags or unknown op
)

// Main is a fixed-rate workload's main: it runs the command line of the run
// protocol with ops and exits. SIGTERM and SIGINT stop the run; what was
// measured so far is written, marked interrupted.
func Main(ops Ops) {
	ctx, stop := SignalContext(context.Background())
	code := Command(ctx, ops, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// SignalContext returns a context cancelled, with the signal as its cause,
// on SIGTERM or SIGINT.
func SignalContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, os.Interrupt)
	go func() {
		select {
		case s := <-ch:
			cancel(fmt.Errorf("received %v", s))
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(context.Canceled)
	}
}

// Command is Main without the process: it parses args, runs the selected op
// and returns the exit code. stdout gets -list output and a one-line summary;
// stderr gets errors and warnings.
func Command(ctx context.Context, ops Ops, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(filepath.Base(os.Args[0]), flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	cfg.RegisterFlags(fs)
	list := fs.Bool("list", false, "print the op names, one per line, and exit")
	listOps := fs.Bool("list-ops", false, "print the op names and the driver's limits as one JSON object, and exit (for the harness)")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %q\n", fs.Args())
		return ExitUsage
	}
	if *list {
		if len(ops) > 0 {
			fmt.Fprintln(stdout, strings.Join(opNames(ops), "\n"))
		}
		return ExitOK
	}
	if *listOps {
		data, _ := json.Marshal(OpList{Protocol: ProtocolVersion, Ops: opNames(ops), MaxRate: MaxRate})
		fmt.Fprintf(stdout, "%s\n", data)
		return ExitOK
	}
	var set flagsSet
	fs.Visit(func(f *flag.Flag) {
		set.rate = set.rate || f.Name == "rate"
		set.window = set.window || f.Name == "duration" || f.Name == "warmup"
	})
	op, ok := ops[cfg.Op]
	if !ok && cfg.Op != "" {
		return usage(stderr, &cfg, fmt.Errorf("-op: unknown op %q; the ops are: %s", cfg.Op, strings.Join(opNames(ops), ", ")))
	}
	if !ok {
		op = Func(nil) // check reports the missing -op with the other problems
	}
	res, err := run(ctx, cfg, set, op)
	return Report(res, err, &cfg, stdout, stderr)
}

// ProtocolVersion is the version of the run protocol a driver speaks, as
// -list-ops states it.
const ProtocolVersion = 1

// An OpList is a workload binary's answer to -list-ops: what the harness
// checks a spec against right after building, before anything runs.
type OpList struct {
	Protocol int      `json:"protocol"`
	Ops      []string `json:"ops"`      // sorted
	MaxRate  float64  `json:"max_rate"` // ops/s, see MaxRate
}

// Report prints what Run returned, for a main of its own: warnings and
// errors to stderr, a one-line summary to stdout. It returns the exit code.
func Report(res *Result, err error, cfg *Config, stdout, stderr io.Writer) int {
	var uerr *UsageError
	if errors.As(err, &uerr) {
		return usage(stderr, cfg, uerr)
	}
	if res != nil {
		for _, w := range res.Warnings {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
		if res.Iterations > 0 {
			fmt.Fprintf(stdout, "%s: %s %d of %d iterations closed loop, %v/op%s\n",
				BenchName(res.Name, res.Op, res.GOMAXPROCS), res.Status, res.Completed, res.Iterations,
				time.Duration(res.nsPerCall()), reasonSuffix(res.Reason))
		} else {
			fmt.Fprintf(stdout, "%s: %s %.6g/%.6g ops/s, latency p50 %v p99 %v max %v, lag p99 %v%s\n",
				BenchName(res.Name, res.Op, res.GOMAXPROCS), res.Status, res.AchievedRate, res.TargetRate,
				time.Duration(res.Latency.P50Ns), time.Duration(res.Latency.P99Ns), time.Duration(res.Latency.MaxNs),
				time.Duration(res.Lag.P99Ns), reasonSuffix(res.Reason))
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitFailed
	}
	return ExitOK
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}

// Usage reports a usage error and, when the output folder is known, leaves a
// failed result.json there so the harness can show the reason.
func usage(stderr io.Writer, cfg *Config, err error) int {
	fmt.Fprintf(stderr, "usage error:\n%v\n", err)
	if cfg.Out != "" && os.MkdirAll(cfg.Out, 0o755) == nil {
		res := newResult(cfg)
		res.fail("usage: " + err.Error())
		res.writeJSON(cfg.Out)
	}
	return ExitUsage
}
