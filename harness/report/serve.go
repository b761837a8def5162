package report

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/pprof/driver"
	"github.com/google/pprof/profile"

	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/results"
)

// PprofOptions configure ServePprof.
type PprofOptions struct {
	Profile  string // profile kind: cpu (default), allocs, heap, mutex, block
	DiffBase string // another cell of the run to subtract (pprof -diff_base); "" for none
	// Addr is where to listen (default 127.0.0.1:0, a free port). A
	// non-loopback address is refused unless AllowRemote is set: the UI
	// shows source paths and function names to anyone who connects.
	Addr        string
	AllowRemote bool
	// NoSource turns the source view off: no source file is shown. Without
	// it, only source files inside the confirmed source roots of the cell's
	// build are (see sourceRoots).
	NoSource bool
	// Ready is called with the UI's URL once it listens.
	Ready func(url string)
	// Log receives pprof's own messages (default: discarded).
	Log io.Writer
}

// ServePprof serves pprof's web UI (graph, top, source, flame graph) for a
// cell's profile, merged over its valid runs, until ctx is done.
func ServePprof(ctx context.Context, resultsDir, cellID string, o PprofOptions) error {
	if o.Profile == "" {
		o.Profile = "cpu"
	}
	if !slices.Contains(ProfileKinds, o.Profile) {
		return fmt.Errorf("unknown profile %q (want one of %s)", o.Profile, strings.Join(ProfileKinds, ", "))
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	bindHost, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", o.Addr, err)
	}
	if !host.IsLoopback(bindHost) && !o.AllowRemote {
		return fmt.Errorf("refusing to serve on %s: not a loopback address (pass the allow-remote option to expose profiles on the network)", o.Addr)
	}
	d, err := results.Open(resultsDir)
	if err != nil {
		return err
	}
	m, err := d.ReadManifest()
	if err != nil {
		return err
	}
	cc, cand, err := cellProfile(d, m, cellID, o.Profile)
	if err != nil {
		return err
	}
	sources := map[string]*profile.Profile{"cand": cand}
	cells := []*results.Cell{cc}
	if o.DiffBase != "" {
		bc, base, err := cellProfile(d, m, o.DiffBase, o.Profile)
		if err != nil {
			return err
		}
		sources["base"] = base
		cells = append(cells, bc)
	}
	// pprof opens source files from names in the profiles: hand it only
	// names of source files inside confirmed roots, and a source path and
	// trim path that make every other name unopenable.
	hidden, err := os.MkdirTemp("", "harness-pprof-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(hidden)
	var roots []string
	if !o.NoSource {
		roots = sourceRoots(m, cells...)
	}
	filter := newSourceFilter(roots, filepath.Join(hidden, "not-shown"))
	for _, p := range sources {
		filter.apply(p)
	}
	switch {
	case o.NoSource:
		fmt.Fprintf(o.Log, "harness: pprof: source view off\n")
	case len(filter.denied) > 0:
		fmt.Fprintf(o.Log, "harness: pprof: source view limited to %d folder(s) of the build confirmed on this host (%s); %d file(s) named by the profile are outside them and not shown\n",
			len(roots), strings.Join(roots, ", "), len(filter.denied))
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	url := "http://" + ln.Addr().String() + "/ui/"
	// pprof is told the bound address (not o.Addr's port 0), though its
	// own "Serving web UI on" line is dropped (pprofUI): Ready has the URL.
	args := []string{"-http=" + ln.Addr().String(), "-no_browser", "-symbolize=none",
		"-source_path=" + hidden, "-trim_path=" + filepath.Join(hidden, "no-trim")}
	if o.DiffBase != "" {
		args = append(args, "-diff_base=base")
	}
	args = append(args, "cand")
	local := !o.AllowRemote
	server := func(a *driver.HTTPServerArgs) error {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if local {
				h, _, err := net.SplitHostPort(r.RemoteAddr)
				if err != nil || !host.IsLoopback(h) {
					http.Error(w, "permission denied", http.StatusForbidden)
					return
				}
			}
			handler := a.Handlers[r.URL.Path]
			if handler == nil || !uiPaths[r.URL.Path] {
				http.NotFound(w, r)
				return
			}
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
				return
			}
			handler.ServeHTTP(w, r)
		})
		mux := http.NewServeMux()
		mux.Handle("/ui/", http.StripPrefix("/ui", h))
		mux.Handle("/", http.RedirectHandler("/ui/", http.StatusTemporaryRedirect))
		// Every request, redirects included, must name the bound address:
		// a web page whose DNS name was rebound to 127.0.0.1 sends its own
		// name as the Host.
		guard := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if local && !host.NamesBound(r.Host, ln.Addr()) {
				http.Error(w, fmt.Sprintf("permission denied: Host %q is not %s", r.Host, ln.Addr()), http.StatusForbidden)
				return
			}
			mux.ServeHTTP(w, r)
		})
		s := &http.Server{Handler: guard, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			s.Shutdown(sctx)
		}()
		if o.Ready != nil {
			o.Ready(url)
		}
		if err := s.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
	return driver.PProf(&driver.Options{
		Flagset:    &pprofFlags{args: args},
		Fetch:      fetcher(sources),
		UI:         &pprofUI{w: o.Log},
		Obj:        noObj{},
		HTTPServer: server,
		Writer:     noWriter{},
	})
}

// cellProfile finds a cell by id (or its folder name) and merges the
// profile of its valid runs.
func cellProfile(d *results.Dir, m *results.Manifest, id, kind string) (*results.Cell, *profile.Profile, error) {
	var c *results.Cell
	for _, mc := range m.Cells {
		if mc.ID == id || mc.Dir == id || filepath.Base(mc.Dir) == id {
			c = mc
			break
		}
	}
	if c == nil {
		var ids []string
		for _, mc := range m.Cells {
			ids = append(ids, mc.ID)
		}
		return nil, nil, fmt.Errorf("no cell %q in %s (cells: %s)", id, d.Path, strings.Join(ids, ", "))
	}
	var dirs []string
	for _, r := range c.Runs {
		if r.Status == results.StatusOK && r.Dir != "" {
			p, err := d.Join(r.Dir)
			if err != nil {
				return nil, nil, err
			}
			dirs = append(dirs, profileDir(c.Kind, p))
		}
	}
	if len(dirs) == 0 {
		return nil, nil, fmt.Errorf("cell %s has no valid run (status %s)", c.ID, c.Status)
	}
	p, err := loadProfile(dirs, kind)
	if err != nil {
		return nil, nil, err
	}
	if p == nil {
		return nil, nil, fmt.Errorf("cell %s has no %s profile (add %q to the spec's profiles)", c.ID, kind, kind)
	}
	return c, p, nil
}

// fetcher hands pprof the profiles already loaded: nothing is fetched.
type fetcher map[string]*profile.Profile

func (f fetcher) Fetch(src string, _, _ time.Duration) (*profile.Profile, string, error) {
	p, ok := f[src]
	if !ok {
		return nil, "", fmt.Errorf("unknown profile source %q", src)
	}
	// No source URL: pprof then treats the profile as local and does
	// not save a copy of it under $HOME/pprof.
	return p.Copy(), "", nil
}

// pprofFlags gives pprof a fixed command line.
type pprofFlags struct {
	fs    *flag.FlagSet
	args  []string
	extra string
}

func (f *pprofFlags) set() *flag.FlagSet {
	if f.fs == nil {
		f.fs = flag.NewFlagSet("pprof", flag.ContinueOnError)
		f.fs.SetOutput(io.Discard)
	}
	return f.fs
}

func (f *pprofFlags) Bool(n string, d bool, u string) *bool { return f.set().Bool(n, d, u) }
func (f *pprofFlags) Int(n string, d int, u string) *int    { return f.set().Int(n, d, u) }
func (f *pprofFlags) Float64(n string, d float64, u string) *float64 {
	return f.set().Float64(n, d, u)
}
func (f *pprofFlags) String(n, d, u string) *string { return f.set().String(n, d, u) }
func (f *pprofFlags) StringList(n, d, u string) *[]*string {
	return &[]*string{f.set().String(n, d, u)}
}
func (f *pprofFlags) ExtraUsage() string     { return f.extra }
func (f *pprofFlags) AddExtraUsage(s string) { f.extra += s }
func (f *pprofFlags) Parse(usage func()) []string {
	if err := f.set().Parse(f.args); err != nil {
		usage()
		return nil
	}
	return f.set().Args()
}

// pprofUI sends pprof's messages to a writer and never reads input. It
// drops pprof's "Serving web UI on <addr>" line: the UI is under /ui/ of a
// server of ours, whose URL the caller prints (PprofOptions.Ready).
type pprofUI struct{ w io.Writer }

func (u *pprofUI) ReadLine(string) (string, error) { return "", io.EOF }
func (u *pprofUI) Print(a ...any) {
	if len(a) > 0 && a[0] == pprofServingMsg {
		return
	}
	u.PrintErr(a...)
}

// PrintErr writes a message as pprof's own terminal UI does: the operands
// as fmt.Sprint joins them, ending in one newline.
func (u *pprofUI) PrintErr(a ...any) {
	text := fmt.Sprint(a...)
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	io.WriteString(u.w, text)
}
func (u *pprofUI) IsTerminal() bool                    { return false }
func (u *pprofUI) WantBrowser() bool                   { return false }
func (u *pprofUI) SetAutoComplete(func(string) string) {}

// pprofServingMsg is how pprof's web UI announces its address
// (internal/driver/webui.go: o.UI.Print("Serving web UI on ", url)).
const pprofServingMsg = "Serving web UI on "

// noWriter refuses pprof's file output: the UI needs none.
type noWriter struct{}

func (noWriter) Open(name string) (io.WriteCloser, error) {
	return nil, fmt.Errorf("writing %s: not allowed here", name)
}
