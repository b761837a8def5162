package build

import (
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/perfharness/harness/harness/toolchain"
)

// A Builder is a content-addressed cache folder and the workers that fill
// it: it turns Requests into Results, running at most Jobs go commands at
// once. One Builder builds each key at most once at a time; any number of
// Builders, in any number of processes, may share a folder.
type Builder struct {
	// Dir is the cache folder; the caller picks it (for example
	// os.UserCacheDir()/perfharness/builds). It is created as needed.
	Dir string
	// Jobs is how many go commands run at once; runtime.NumCPU() when 0.
	Jobs int
	// Progress, if set, receives an event for every start, cache hit,
	// finished build and failure. Calls are serialized.
	Progress func(Event)

	initOnce   sync.Once
	jobs       chan struct{}
	progressMu sync.Mutex
	mu         sync.Mutex
	ids        map[*toolchain.Toolchain]string
	flights    map[string]*flight
}

// A flight is a build of one key in progress in this Builder; requests for
// the same key wait for it instead of building again.
type flight struct {
	done chan struct{}
	res  *Result
}

// An EventKind says what happened to a Request.
type EventKind int

// The kinds of events, in the order a build goes through them.
const (
	Started  EventKind = iota // the key is not in the cache: the go command starts
	CacheHit                  // the binary was in the cache; nothing ran
	Built                     // the go command finished and the binary is in the cache
	Failed                    // the build failed; Result.Err says why
)

func (k EventKind) String() string {
	switch k {
	case Started:
		return "started"
	case CacheHit:
		return "cache hit"
	case Built:
		return "built"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// An Event is one step of a Request's progress, for the caller to show.
type Event struct {
	Kind  EventKind
	Label string
	// Elapsed is, for Started and CacheHit, the time spent computing the
	// key and looking it up; for Built and Failed, the time of the go
	// command (or, for a failure before it ran, the time until then).
	Elapsed time.Duration
	// Result is the outcome; nil for Started.
	Result *Result
}

// A Result is what became of one Request: where its binary is and how it
// came to be, or why there is none.
type Result struct {
	Request *Request
	// Key is the hex sha256 of Recipe; "" when it could not be computed.
	Key string
	// Recipe lists what the key covers, one item a line (see the package doc).
	Recipe []string
	// Binary is the binary in its cache entry; "" when the build failed.
	// Entries are immutable: run it in place.
	Binary string
	// LogFile is the build log in the cache entry; "" when the build failed
	// (WriteLog writes a failed build's log too).
	LogFile string
	// Cached says no go command ran: the binary came from the cache.
	Cached bool
	// BuildTime is the wall time of the go command that built the binary —
	// of the original build when Cached. It is the build-ns metric.
	BuildTime time.Duration
	// CheckTime is the time spent computing the key and looking it up.
	CheckTime time.Duration
	// Size is the binary's size in bytes: the binary-B metric.
	Size int64
	// SHA256 is the hex digest of the binary as built ("" for an entry an
	// older harness made).
	SHA256 string
	// Command is the go command as it ran (argv; its -o names the temporary
	// folder the entry was published from), Env its complete environment and
	// WorkDir its working folder.
	Command []string
	Env     []string
	WorkDir string
	// GoVersion and Settings are the binary's embedded build info (what
	// go version -m shows), checked against the toolchain and GOEXPERIMENT.
	GoVersion string
	Settings  []debug.BuildSetting
	// Err is why the build failed, starting "building <label>: ". A failure
	// of the go command ends with the last lines of its log.
	Err error

	failedLog []byte
}

// tailLines is how many log lines a failure's error carries.
const tailLines = 20

// maxFailedLog caps how much of a failed build's log a Result keeps in
// memory (a broken gcflags value prints the compiler's usage per package).
const maxFailedLog = 1 << 20

func (b *Builder) init() {
	b.initOnce.Do(func() {
		n := b.Jobs
		if n <= 0 {
			n = runtime.NumCPU()
		}
		b.jobs = make(chan struct{}, n)
		b.ids = map[*toolchain.Toolchain]string{}
		b.flights = map[string]*flight{}
		b.cleanTemp()
	})
}

// Build builds every request concurrently and returns their results in the
// same order. A failure is recorded on its Result and never stops the
// others; cancelling ctx kills the running go commands.
func (b *Builder) Build(ctx context.Context, reqs []*Request) []*Result {
	b.init()
	results := make([]*Result, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = b.build(ctx, req)
		}()
	}
	wg.Wait()
	return results
}

// BuildOne builds one request; the error is the Result's Err.
func (b *Builder) BuildOne(ctx context.Context, req *Request) (*Result, error) {
	b.init()
	res := b.build(ctx, req)
	return res, res.Err
}

func (b *Builder) build(ctx context.Context, req *Request) *Result {
	start := time.Now()
	res := &Result{Request: req}
	fail := func(err error, elapsed time.Duration) *Result {
		res.Err = fmt.Errorf("building %s: %w", req.Label, err)
		b.emit(Event{Kind: Failed, Label: req.Label, Elapsed: elapsed, Result: res})
		return res
	}
	key, recipe, err := b.key(ctx, req)
	if err != nil {
		return fail(err, time.Since(start))
	}
	res.Key, res.Recipe = key, recipe

	f, leader := b.join(res.Key)
	if !leader {
		select {
		case <-f.done:
		case <-ctx.Done():
			return fail(ctx.Err(), time.Since(start))
		}
		shared := *f.res
		shared.Request = req
		shared.CheckTime = time.Since(start)
		if shared.Err != nil {
			b.emit(Event{Kind: Failed, Label: req.Label, Elapsed: shared.CheckTime, Result: &shared})
			return &shared
		}
		shared.Cached = true
		b.emit(Event{Kind: CacheHit, Label: req.Label, Elapsed: shared.CheckTime, Result: &shared})
		return &shared
	}
	defer b.land(res.Key, f, res)

	hit, broken := b.lookup(res.Key, res)
	res.CheckTime = time.Since(start)
	if hit {
		res.Cached = true
		b.emit(Event{Kind: CacheHit, Label: req.Label, Elapsed: res.CheckTime, Result: res})
		return res
	}
	if broken {
		if err := b.discard(b.entryDir(res.Key)); err != nil {
			return fail(fmt.Errorf("removing broken cache entry: %w", err), time.Since(start))
		}
	}
	if err := b.acquire(ctx); err != nil {
		return fail(err, time.Since(start))
	}
	defer b.release()
	b.emit(Event{Kind: Started, Label: req.Label, Elapsed: res.CheckTime})
	if err := b.run(ctx, req, res); err != nil {
		return fail(err, res.BuildTime)
	}
	b.emit(Event{Kind: Built, Label: req.Label, Elapsed: res.BuildTime, Result: res})
	return res
}

// key computes the request's cache key and the recipe it hashes.
func (b *Builder) key(ctx context.Context, req *Request) (key string, recipe []string, err error) {
	if err := req.validate(); err != nil {
		return "", nil, err
	}
	config, err := b.configRecipe(req)
	if err != nil {
		return "", nil, err
	}
	sources, err := b.sourceDigest(ctx, req, hashLines(config))
	if err != nil {
		return "", nil, err
	}
	recipe = append(config, "sources "+sources)
	return hashLines(recipe), recipe, nil
}

// join registers a build of key, or returns the one in progress.
func (b *Builder) join(key string) (f *flight, leader bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if f, ok := b.flights[key]; ok {
		return f, false
	}
	f = &flight{done: make(chan struct{})}
	b.flights[key] = f
	return f, true
}

func (b *Builder) land(key string, f *flight, res *Result) {
	b.mu.Lock()
	delete(b.flights, key)
	b.mu.Unlock()
	f.res = res
	close(f.done)
}

// run runs the go command into a temporary folder in the cache, checks the
// binary and publishes the folder under res.Key.
func (b *Builder) run(ctx context.Context, req *Request, res *Result) error {
	if err := os.MkdirAll(b.tmpDir(), 0o755); err != nil {
		return fmt.Errorf("creating cache folder: %w", err)
	}
	tmp, err := os.MkdirTemp(b.tmpDir(), res.Key[:16]+"-")
	if err != nil {
		return fmt.Errorf("creating cache folder: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once published
	name := req.binaryName()
	out := filepath.Join(tmp, name)
	logPath := filepath.Join(tmp, logFile)
	logf, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("creating build log: %w", err)
	}
	args := req.args(out)
	res.Command = append([]string{req.TC.Go}, args...)
	res.Env = req.Env
	res.WorkDir = req.Dir
	cmd := command(ctx, req.TC.Go, args, req.Dir, req.Env)
	cmd.Stdout, cmd.Stderr = logf, logf // one file: the log keeps the go command's interleaving
	t0 := time.Now()
	runErr := cmd.Run()
	res.BuildTime = time.Since(t0)
	if err := logf.Close(); err != nil && runErr == nil {
		runErr = err
	}
	log, _ := os.ReadFile(logPath)
	if runErr != nil {
		res.failedLog = capLog(log)
		if ctx.Err() != nil {
			return fmt.Errorf("%w (the go command was killed)", ctx.Err())
		}
		return withTail(runErr, log)
	}
	fi, err := os.Stat(out)
	if err != nil {
		res.failedLog = capLog(log)
		return withTail(errors.New("the go command wrote no binary"), log)
	}
	bi, err := buildinfo.ReadFile(out)
	if err != nil {
		res.failedLog = capLog(log)
		return fmt.Errorf("reading the binary's build info: %w", err)
	}
	goexp := toolchain.Getenv(req.Env, "GOEXPERIMENT")
	effective, err := req.TC.Effective(ctx, goexp)
	if err != nil {
		return fmt.Errorf("asking %s which experiments GOEXPERIMENT=%q turns on: %w", req.TC.Name, goexp, err)
	}
	if err := checkBuildInfo(bi, expectation{Version: req.TC.Version, GOEXPERIMENT: goexp, Effective: effective, Defaults: req.TC.Defaults,
		CGOEnabled: toolchain.Getenv(req.Env, "CGO_ENABLED")}); err != nil {
		res.failedLog = capLog(log)
		return err
	}
	digest, err := fileSHA256(out)
	if err != nil {
		return fmt.Errorf("hashing the binary: %w", err)
	}
	meta := entryMeta{
		Key: res.Key, Label: req.Label, Binary: name, Size: fi.Size(), SHA256: digest,
		BuildNs: res.BuildTime.Nanoseconds(), BuiltAt: time.Now().UTC(),
		Command: res.Command, Env: res.Env, Dir: res.WorkDir,
		GoVersion: bi.GoVersion, Settings: bi.Settings, Recipe: res.Recipe,
	}
	if err := writeJSONAtomic(filepath.Join(tmp, metaFile), meta); err != nil {
		return fmt.Errorf("writing cache entry: %w", err)
	}
	if err := b.publish(tmp, res.Key); err != nil {
		return err
	}
	ours := res.BuildTime
	if hit, _ := b.lookup(res.Key, res); !hit {
		return fmt.Errorf("cache entry %s is not readable after publishing it", b.entryDir(res.Key))
	}
	// When another process published first, the entry is its twin; the
	// time is still what this build took.
	res.BuildTime = ours
	return nil
}

func (b *Builder) acquire(ctx context.Context) error {
	select {
	case b.jobs <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *Builder) release() { <-b.jobs }

func (b *Builder) emit(e Event) {
	if b.Progress == nil {
		return
	}
	b.progressMu.Lock()
	defer b.progressMu.Unlock()
	b.Progress(e)
}

// WriteLog puts the build log at path: a hard link to the cache entry's log
// where possible, else a copy; for a failed build, the log it produced.
func (r *Result) WriteLog(path string) error {
	var err error
	switch {
	case r.LogFile != "":
		err = linkOrCopy(r.LogFile, path)
	case r.failedLog != nil:
		err = writeFileAtomic(path, r.failedLog)
	default:
		err = errors.New("no build log (the go command did not run)")
	}
	if err != nil {
		return fmt.Errorf("writing build log of %s: %w", r.Request.Label, err)
	}
	return nil
}

// Profile returns where the cache keeps the PGO profile collected with the
// binary of base (the profiling pass of a pgo=auto build), and whether one is
// there. Reusing it keeps an unchanged matrix from profiling, and so
// rebuilding, again.
func (b *Builder) Profile(base *Result) (path string, ok bool) {
	path = filepath.Join(b.root(), "profiles", base.Key+".pprof")
	_, err := os.Stat(path)
	return path, err == nil
}

// KeepProfile stores a copy of the CPU profile file as the PGO profile of
// base's binary and returns the copy's path.
func (b *Builder) KeepProfile(base *Result, file string) (string, error) {
	if base.Key == "" {
		return "", errors.New("keeping pgo profile: the base build has no key")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("keeping pgo profile: %w", err)
	}
	path, _ := b.Profile(base)
	if err := writeFileAtomic(path, data); err != nil {
		return "", fmt.Errorf("keeping pgo profile: %w", err)
	}
	return path, nil
}

// validate rejects requests that would not run the go command hermetically.
func (r *Request) validate() error {
	switch {
	case r.TC == nil || r.TC.Go == "":
		return errors.New("no toolchain")
	case !filepath.IsAbs(r.Dir):
		return fmt.Errorf("module folder %q is not absolute", r.Dir)
	case r.Package == "":
		return errors.New("no package")
	case len(r.Env) == 0:
		// exec would hand the go command our own environment.
		return errors.New("no build environment")
	}
	for _, f := range r.Flags {
		if !strings.HasPrefix(f, "-") {
			return fmt.Errorf("flag %q does not start with -", f)
		}
		if f == "-o" || strings.HasPrefix(f, "-o=") || f == "-C" || strings.HasPrefix(f, "-C=") {
			return fmt.Errorf("flag %q is the builder's to set", f)
		}
	}
	return nil
}

// withTail adds the last lines of a build log to an error.
func withTail(err error, log []byte) error {
	if t := tail(log, tailLines); t != "" {
		return fmt.Errorf("%w: %s", err, t)
	}
	return err
}

// tail returns the last n lines of a log.
func tail(log []byte, n int) string {
	s := strings.TrimRight(string(log), "\n\r\t ")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func capLog(log []byte) []byte {
	if len(log) <= maxFailedLog {
		return log
	}
	return append([]byte("[... log cut to its last 1 MiB ...]\n"), log[len(log)-maxFailedLog:]...)
}
