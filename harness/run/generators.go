package run

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/spec"
)

// generatorLead is how far ahead of the generators' start the shared start
// instant is set, per generator: time for the processes to start and
// connect before the schedule begins.
const generatorLead = 250 * time.Millisecond

// runLoad runs an http cell's load client against the server at addr with
// the flags in args (all but -out): one process writing into dir, or, for
// generators: N, N processes each writing its own dir/gen-I and playing
// every N-th request from one start instant (only the first one brackets
// the server's window), then httpload merge combining their folders into
// dir. It returns the exit to classify, its process and the folder whose
// result.json says how it went, and for a generator's failure which one.
func (r *Runner) runLoad(ctx context.Context, c *plan.Cell, dir, control string, args []string) (exit Exit, p Proc, resDir, who string) {
	n := max(c.Workload.Generators, 1)
	timeout := r.timeout(c)
	var cpus string
	if cl := c.Workload.Client; cl != nil {
		cpus = cl.CPUs
	}
	if n == 1 {
		p = Proc{Path: r.tool.Binary, Args: append(args, "-out", dir, "-control", control), Env: baseEnv(c.RunEnv), Dir: dir,
			Stdout: filepath.Join(dir, "stdout.log"), Stderr: filepath.Join(dir, "stderr.log"),
			CPUs: cpus, Timeout: timeout, Grace: r.opts.Grace}
		return Run(ctx, p), p, dir, ""
	}
	sets, err := generatorCPUs(cpus, n)
	if err != nil {
		return Exit{Code: -1, Err: err}, Proc{}, dir, ""
	}
	lead := generatorLead * time.Duration(min(n, 8))
	at := time.Now().Add(lead).UTC().Format(time.RFC3339Nano)
	procs := make([]Proc, n)
	exits := make([]Exit, n)
	dirs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		dirs[i] = filepath.Join(dir, "gen-"+strconv.Itoa(i))
		a := append(append([]string(nil), args...), "-out", dirs[i],
			"-generators", strconv.Itoa(n), "-generator", strconv.Itoa(i), "-start-at", at)
		if i == 0 {
			a = append(a, "-control", control)
		}
		procs[i] = Proc{Path: r.tool.Binary, Args: a, Env: baseEnv(c.RunEnv), Dir: dir,
			Stdout: filepath.Join(dir, "gen-"+strconv.Itoa(i)+".stdout.log"), Stderr: filepath.Join(dir, "gen-"+strconv.Itoa(i)+".stderr.log"),
			CPUs: sets[i], Timeout: timeout + lead, Grace: r.opts.Grace}
		wg.Add(1)
		go func() {
			defer wg.Done()
			exits[i] = Run(ctx, procs[i])
		}()
	}
	wg.Wait()
	for i, e := range exits {
		if e.Err != nil || e.Stopped || e.TimedOut || e.Signal != "" || e.Code != 0 {
			return e, procs[i], dirs[i], fmt.Sprintf("load generator %d of %d", i, n)
		}
	}
	p = Proc{Path: r.tool.Binary, Args: append([]string{"merge", "-out", dir}, dirs...), Env: baseEnv(c.RunEnv), Dir: dir,
		Stdout: filepath.Join(dir, "stdout.log"), Stderr: filepath.Join(dir, "stderr.log"), Timeout: time.Minute, Grace: r.opts.Grace}
	exit = Run(ctx, p)
	if exit.Code != 0 || exit.Err != nil || exit.Signal != "" {
		who = fmt.Sprintf("merging the %d load generators", n)
	}
	return exit, p, dir, who
}

// generatorCPUs deals the CPUs of list (the harness's own when empty) out
// to n generators, in contiguous sets as even as they can be; with fewer
// CPUs than generators, they share them in turn. Where the harness cannot
// read its CPUs, generators are not pinned.
func generatorCPUs(list string, n int) ([]string, error) {
	var cpus []int
	if list != "" {
		var err error
		if cpus, err = spec.ParseCPUList(list); err != nil {
			return nil, err
		}
	} else if all, ok := host.AllowedCPUs(); ok {
		cpus = all
	}
	sets := make([]string, n)
	if len(cpus) == 0 {
		return sets, nil
	}
	if len(cpus) < n {
		for i := range sets {
			sets[i] = strconv.Itoa(cpus[i%len(cpus)])
		}
		return sets, nil
	}
	for i := range sets {
		lo, hi := i*len(cpus)/n, (i+1)*len(cpus)/n
		s := make([]string, 0, hi-lo)
		for _, c := range cpus[lo:hi] {
			s = append(s, strconv.Itoa(c))
		}
		sets[i] = strings.Join(s, ",")
	}
	return sets, nil
}
