package results

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// A Stored is a run found in a results root: its folder and its manifest.
type Stored struct {
	Path     string
	Manifest *Manifest
}

// Find opens a run named by the path of its results folder or by its run
// id under root ("latest" is root's link to the newest run).
func Find(arg, root string) (Stored, error) {
	path := arg
	if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
		if strings.ContainsRune(arg, filepath.Separator) || !filepath.IsLocal(arg) {
			return Stored{}, fmt.Errorf("%s: no such results folder", arg)
		}
		path = filepath.Join(root, arg)
		if _, err := os.Stat(path); err != nil {
			return Stored{}, fmt.Errorf("no run %q: neither a results folder nor a run id under %s", arg, root)
		}
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	d, err := Open(path)
	if err != nil {
		return Stored{}, err
	}
	m, err := d.ReadManifest()
	if err != nil {
		return Stored{}, err
	}
	return Stored{Path: path, Manifest: m}, nil
}

// List reads every run under root. Folders whose manifest does not read
// are left out with a warning each, not an error: one corrupted run must
// not hide the others.
func List(root string) ([]Stored, []string, error) {
	paths, err := ListRuns(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("no results folder %s", root)
		}
		return nil, nil, err
	}
	var out []Stored
	var warnings []string
	for _, p := range paths {
		d, err := Open(p)
		if err != nil {
			warnings = append(warnings, err.Error())
			continue
		}
		m, err := d.ReadManifest()
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("skipping %s: %v", p, err))
			continue
		}
		out = append(out, Stored{Path: p, Manifest: m})
	}
	return out, warnings, nil
}

// SortNewestFirst orders runs by start time, newest first (ties by run id,
// the later first).
func SortNewestFirst(s []Stored) {
	slices.SortStableFunc(s, func(a, b Stored) int {
		return cmp.Or(b.Manifest.Started.Compare(a.Manifest.Started), cmp.Compare(b.Manifest.RunID, a.Manifest.RunID))
	})
}

// Counts are a run's cells by outcome and its runs: valid (see
// Cell.ValidRuns: those whose figures reach bench.txt) and all finished.
type Counts struct{ OK, Partial, Failed, ValidRuns, Runs int }

// Counts counts a run's cells and runs.
func (m *Manifest) Counts() Counts {
	var n Counts
	for _, c := range m.Cells {
		switch {
		case c.Status == StatusOK:
			n.OK++
		case c.Status == StatusPartial:
			n.Partial++
		case c.Status.Failed():
			n.Failed++
		}
		n.ValidRuns += len(c.ValidRuns())
		for _, r := range c.Runs {
			if r.Finished() {
				n.Runs++
			}
		}
	}
	return n
}
