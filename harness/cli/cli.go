// Package cli is the harness command line, a shell around the packages
// that do the work: each command parses its flags into the typed options of
// one use case, makes one call — spec, toolchain and plan (harness plan),
// build and run (harness run), results (merge, results list), verify (gate,
// calibrate, trend), report (report, pprof), compare, export, host (cpu) —
// prints what it returns with gate's formatting, and returns an error
// whose class (usage, incomplete, regression) Run maps to the exit code, in
// one place. Results go to stdout; errors and progress to stderr, one line
// each, prefixed "harness:" (here and nowhere else).
//
// cli sits above every package it wires and below the main package, which
// only turns signals into a context and the exit code into the process's.
package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/perfharness/harness/harness/escape"
	"github.com/perfharness/harness/harness/spec"
)

// Exit codes. They are part of the interface: CI scripts branch on them.
const (
	ExitOK         = 0 // success; for gate: no significant regression
	ExitRegression = 1 // gate found a significant regression
	ExitUsage      = 2 // usage or configuration error (bad flags, invalid spec)
	ExitIncomplete = 3 // run invalid or incomplete: a cell failed, crashed, timed out, missed its rate, or the run was interrupted
)

// Exit code legends: every code for the command list, and for the help
// of each command the codes it ends with.
const (
	exitCodeHelp = `Exit codes:
  0  ok (gate: no significant regression)
  1  significant regression found (gate)
  2  usage or configuration error
  3  run invalid or incomplete (a cell failed, crashed, timed out, missed its
     rate, or the run was interrupted)`
	exitHelpGate = `Exit codes:
  0  no significant regression
  1  significant regression found
  2  usage or configuration error
  3  comparison invalid (a candidate cell failed, hosts differ, too few
     samples) or a results folder could not be read`
	exitHelpRun = `Exit codes:
  0  every cell ok or skipped
  2  usage or configuration error
  3  run invalid or incomplete (a cell failed, crashed, timed out, missed its
     rate, or the run was interrupted)`
	exitHelpOther = `Exit codes:
  0  ok
  2  usage or configuration error
  3  failed (a file could not be read or written)`
)

// A command is one subcommand.
type command struct {
	name    string
	args    string // positional arguments, for usage
	summary string
	// exits is the exit code legend of the command's help (exitHelpOther
	// when empty; "-" for none).
	exits string
	// run parses flags from args itself (through env.parse) and does the
	// work; its error's class is the exit code (see exitCode).
	run func(ctx context.Context, env *env, args []string) error
}

// env is what every command gets: its output streams and flag helpers.
type env struct {
	stdout, stderr io.Writer
	cmd            *command
}

func commands() []*command {
	return []*command{
		{name: "run", args: "bench.yaml", summary: "build the matrix, run every cell, write results/<run>/ and its report", exits: exitHelpRun, run: cmdRun},
		{name: "plan", args: "bench.yaml", summary: "validate a spec and show its cells, builds and environments without building", run: cmdPlan},
		{name: "cpu", summary: "show this host's CPU features, ISA level and noise sources", run: cmdCPU},
		{name: "report", args: "results/<run>", summary: "render the report of a results folder (text, Markdown, HTML)", run: cmdReport},
		{name: "compare", args: "results/A results/B", summary: "compare two results folders with benchstat statistics", run: cmdCompare},
		{name: "gate", summary: "fail (exit 1) when a candidate run regressed significantly against a baseline", exits: exitHelpGate, run: cmdGate},
		{name: "pprof", args: "results/<run> <cell>", summary: "open pprof's web UI (flame graph) on a cell's profile, bound to 127.0.0.1", run: cmdPprof},
		{name: "merge", args: "-o results/M results/s1 results/s2 ...", summary: "combine sharded results folders into one", run: cmdMerge},
		{name: "calibrate", args: "bench.yaml", summary: "measure each benchmark's run-to-run noise on this host (A/A runs) and write gate thresholds", exits: exitHelpRun, run: cmdCalibrate},
		{name: "results", args: "list", summary: "list the runs stored in a results folder (date, spec, host, status)", run: cmdResults},
		{name: "trend", args: "results/ | results/<run>...", summary: "render each benchmark's history across stored runs: medians, bands, change points, gaps", run: cmdTrend},
		{name: "export", args: "results/<run>", summary: "export a run's per-cell figures as OpenMetrics (for a Pushgateway) or JSON", run: cmdExport},
		{name: "version", summary: "print the harness version", exits: "-", run: cmdVersion},
	}
}

// Run runs the harness command line args and returns the process exit code.
// ctx is canceled on a hard stop (second interrupt); see WithSoftStop for the
// first.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// Everything printed may hold text from a spec or a results folder:
	// control characters in it are escaped on the way out, whatever the
	// command (tables also escape their cells, to keep their columns).
	stdout, stderr = escape.NewWriter(stdout), escape.NewWriter(stderr)
	cmds := commands()
	if len(args) == 0 {
		usage(stderr, cmds)
		return ExitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && name == "help" {
			if c := find(cmds, args[1]); c != nil {
				return exitCode(stderr, c.run(ctx, &env{stdout: stdout, stderr: stderr, cmd: c}, []string{"--help"}))
			}
		}
		usage(stdout, cmds)
		return ExitOK
	case "-version", "--version":
		name = "version"
	}
	c := find(cmds, name)
	if c == nil {
		names := make([]string, len(cmds))
		for i, c := range cmds {
			names[i] = c.name
		}
		fmt.Fprintf(stderr, "harness: unknown command %q%s\n", name, spec.DidYouMean(name, names))
		fmt.Fprintf(stderr, "harness: run 'harness help' for the list of commands\n")
		return ExitUsage
	}
	if c.name != "run" {
		// Only run has a graceful first stage; elsewhere the first
		// interrupt stops at once.
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-SoftStop(ctx):
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	return exitCode(stderr, c.run(ctx, &env{stdout: stdout, stderr: stderr, cmd: c}, args[1:]))
}

func find(cmds []*command, name string) *command {
	for _, c := range cmds {
		if c.name == name {
			return c
		}
	}
	return nil
}

func usage(w io.Writer, cmds []*command) {
	fmt.Fprintf(w, "harness: benchmark and load-test Go code across toolchains, experiments, flags and environments.\n\n")
	fmt.Fprintf(w, "Usage:\n  harness <command> [arguments] [flags]\n\nCommands:\n")
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'harness <command> --help' for a command's flags. Flags may follow arguments.\n\n%s\n", exitCodeHelp)
}

// An exitError is an error with the exit code it ends its command with.
// Its message (none for a silent one: the command printed its outcome) is
// printed once, by Run; a usage error names its command and points at its
// help.
type exitError struct {
	code int
	err  error
	cmd  string // set for usage errors: "harness <cmd>: ..." and a hint
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErr and incomplete give err its exit class.
func usageErr(err error) error   { return &exitError{code: ExitUsage, err: err} }
func incomplete(err error) error { return &exitError{code: ExitIncomplete, err: err} }

// exitSilently ends a command with code, having said everything already.
func exitSilently(code int) error {
	if code == ExitOK {
		return nil
	}
	return &exitError{code: code}
}

// exitCode prints err, one "harness:"-prefixed line per line of message,
// and returns its exit code: its class, or ExitIncomplete for an error
// without one (the harness could not finish).
func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	var xe *exitError
	if !errors.As(err, &xe) {
		printErr(stderr, err)
		return ExitIncomplete
	}
	switch {
	case xe.cmd != "":
		fmt.Fprintf(stderr, "harness: %s: %s\n", xe.cmd, xe.err)
		fmt.Fprintf(stderr, "harness: run 'harness %s --help' for usage\n", xe.cmd)
	case xe.err != nil:
		printErr(stderr, err)
	}
	return xe.code
}

func printErr(w io.Writer, err error) {
	for _, line := range strings.Split(strings.TrimRight(err.Error(), "\n"), "\n") {
		fmt.Fprintf(w, "harness: %s\n", line)
	}
}

// flags returns a FlagSet for the command; parse prints its help.
func (e *env) flags() *flag.FlagSet {
	fs := flag.NewFlagSet(e.cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// errHelp ends a command whose help was asked for and printed.
var errHelp = &exitError{code: ExitOK}

// parse parses flags that may appear before, between or after positional
// arguments ("harness run bench.yaml --count 5"); "--" ends flag parsing. It
// returns the positional arguments, or an error ending the command: errHelp
// after printing its help, or a usage error.
func (e *env) parse(fs *flag.FlagSet, args []string, minArgs, maxArgs int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				e.help(e.stdout, fs)
				return nil, errHelp
			}
			return nil, e.usage("%v", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) < minArgs || (maxArgs >= 0 && len(pos) > maxArgs) {
		want := cmp.Or(e.cmd.args, "no arguments")
		return nil, e.usage("want %s, got %d argument(s)", want, len(pos))
	}
	return pos, nil
}

func (e *env) help(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: harness %s", e.cmd.name)
	if e.cmd.args != "" {
		fmt.Fprintf(w, " %s", e.cmd.args)
	}
	fmt.Fprintf(w, " [flags]\n\n%s.\n", strings.ToUpper(e.cmd.summary[:1])+e.cmd.summary[1:])
	var lines []string
	fs.VisitAll(func(f *flag.Flag) {
		name, u := flag.UnquoteUsage(f)
		// One dash for a one-letter flag (-o, -v), two for a word, as the
		// README spells them; the parser takes either.
		l := "  --" + f.Name
		if len(f.Name) == 1 {
			l = "  -" + f.Name
		}
		if name != "" {
			l += " " + name
		}
		l += "\n      " + u
		// A zero default means "not set" (the spec's value or a built-in
		// one, which the usage text states itself).
		if !isZeroDefault(f.DefValue) && !strings.Contains(u, "(default") {
			l += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		lines = append(lines, l)
	})
	if len(lines) > 0 {
		sort.Strings(lines)
		fmt.Fprintf(w, "\nFlags:\n%s\n", strings.Join(lines, "\n"))
	}
	switch e.cmd.exits {
	case "-":
	case "":
		fmt.Fprintf(w, "\n%s\n", exitHelpOther)
	default:
		fmt.Fprintf(w, "\n%s\n", e.cmd.exits)
	}
}

// isZeroDefault reports whether a flag's default is its type's zero value.
func isZeroDefault(v string) bool {
	switch v {
	case "", "false", "0", "0s", "[]":
		return true
	}
	return false
}

// usage is a usage error of the command: printed with its name and a
// pointer to its help.
func (e *env) usage(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...), cmd: e.cmd.name}
}

// refuseZero refuses the named flags when given as zero: their zero value
// means "not set" (the spec's or the built-in default), so --count 0 or
// --grace 0s would silently run with something else than asked.
func (e *env) refuseZero(fs *flag.FlagSet, names ...string) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		if v := f.Value.String(); err == nil && slices.Contains(names, f.Name) && (v == "0" || v == "0s") {
			err = e.usage("--%s %s: zero is not a setting of its own (leave the flag out for the default)", f.Name, v)
		}
	})
	return err
}

// logf prints a progress or warning line.
func (e *env) logf(format string, args ...any) {
	fmt.Fprintf(e.stderr, "harness: "+format+"\n", args...)
}

// log is e.logf as the callback the use-case packages take.
func (e *env) log(msg string) { e.logf("%s", msg) }

// say prints a line of harness run's own progress, which, like run's,
// goes without the prefix of errors.
func (e *env) say(msg string) { fmt.Fprintln(e.stderr, msg) }

type softStopKey struct{}

// WithSoftStop attaches a channel that is closed on the first interrupt:
// "harness run" then finishes the run in progress, keeps everything measured
// and stops. The second interrupt cancels ctx itself.
func WithSoftStop(ctx context.Context, soft <-chan struct{}) context.Context {
	return context.WithValue(ctx, softStopKey{}, soft)
}

// SoftStop returns the first-interrupt channel of ctx (nil, never ready,
// when there is none).
func SoftStop(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(softStopKey{}).(<-chan struct{})
	return ch
}
