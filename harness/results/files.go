package results

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Size limits: the most the harness reads of each kind of file in a results
// folder. A results folder is untrusted input; a file past its limit is
// refused by name before it is read, never loaded to find out. Each limit is
// far above what a real run writes (noted beside it).
const (
	MaxManifest = 64 << 20  // 500 cells × 10 runs: about 3 MiB
	MaxBench    = 256 << 20 // combined bench.txt; a run's own is a few KiB
	MaxResult   = 16 << 20  // result.json, server.json: a few KiB
	MaxHlog     = 256 << 20 // one line per second and tag: an hour is a few MiB
	MaxProfile  = 64 << 20  // a gzipped .pprof file
	// MaxProfileData bounds a profile once decompressed: a small gzip
	// file can expand a thousandfold.
	MaxProfileData = 128 << 20
	MaxSpecCopy    = 4 << 20  // spec.yaml
	MaxSmall       = 1 << 20  // progress.json, a server's address file
	MaxOther       = 64 << 20 // anything else read from a results folder
)

// limitOf returns the kind of a results file, by its name, and the most
// the harness reads of it.
func limitOf(name string) (kind string, max int64) {
	base := filepath.Base(name)
	switch {
	case base == ManifestFile:
		return "manifest", MaxManifest
	case base == BenchFile:
		return "benchmark results file", MaxBench
	case base == SpecFile:
		return "spec copy", MaxSpecCopy
	case base == ResultFile, base == ServerFile:
		return "result file", MaxResult
	case base == "progress.json", base == "addr":
		return "progress file", MaxSmall
	case strings.HasSuffix(base, ".hlog"):
		return "latency log", MaxHlog
	case strings.HasSuffix(base, ".pprof"):
		return "profile", MaxProfile
	}
	return "file", MaxOther
}

// A TooBigError says a results file is larger than the harness reads of
// its kind.
type TooBigError struct {
	Path string
	Kind string
	Size int64 // at least this big
	Max  int64
}

func (e *TooBigError) Error() string {
	return fmt.Sprintf("%s: too big: a %s of %s or more, past the %s limit of its kind", e.Path, e.Kind, sizeString(e.Size), sizeString(e.Max))
}

func sizeString(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

// ErrNotRegular says a results file is a symbolic link, a folder, a pipe or
// a device: the harness writes only regular files there, and follows no
// link out of (or within) a results folder to its last component.
var ErrNotRegular = errors.New("not a regular file")

// OpenIn opens the file rel inside the folder dir for reading, as untrusted
// input: rel must be a local path; folders on the way may be symbolic links
// only if they stay inside dir; the file itself must be a regular file, not
// a symbolic link (never followed), and no bigger than the limit of its kind
// (see limitOf). The returned reader fails with a *TooBigError if the file
// grows past the limit while it is read. Errors name the file; a missing
// file's error matches fs.ErrNotExist.
func OpenIn(dir, rel string) (io.ReadCloser, error) {
	path := filepath.Join(dir, rel)
	if !filepath.IsLocal(rel) {
		return nil, fmt.Errorf("%s: path %q leaves the folder %s", path, rel, dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	parent, base := filepath.Split(rel)
	if parent != "" {
		sub, err := root.OpenRoot(filepath.Clean(parent))
		if err != nil {
			return nil, pathError(path, err)
		}
		defer sub.Close()
		root = sub
	}
	// os.Root follows a symbolic link that stays inside the folder, even
	// with O_NOFOLLOW: look first, then check the file opened is the one
	// looked at (a link swapped in between would differ).
	lfi, err := root.Lstat(base)
	if err != nil {
		return nil, pathError(path, err)
	}
	if !lfi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, ModeName(lfi.Mode()))
	}
	// O_NONBLOCK: a FIFO swapped in after the look must not hang the open.
	f, err := root.OpenFile(base, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, pathError(path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() || !os.SameFile(fi, lfi) {
		f.Close()
		return nil, fmt.Errorf("%s: %w (replaced while opened)", path, ErrNotRegular)
	}
	kind, max := limitOf(base)
	if fi.Size() > max {
		f.Close()
		return nil, &TooBigError{Path: path, Kind: kind, Size: fi.Size(), Max: max}
	}
	return &limitedFile{f: f, path: path, kind: kind, max: max, left: max}, nil
}

// ReadFileIn reads the file rel inside the folder dir with the checks of
// OpenIn.
func ReadFileIn(dir, rel string) ([]byte, error) {
	f, err := OpenIn(dir, rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// ReadFile reads rel inside the results folder (see OpenIn).
func (d *Dir) ReadFile(rel string) ([]byte, error) {
	return ReadFileIn(d.Path, rel)
}

// Open opens rel inside the results folder for reading (see OpenIn).
func (d *Dir) Open(rel string) (io.ReadCloser, error) {
	return OpenIn(d.Path, rel)
}

// ReadLimited reads a file named by the user (a bench.txt on the command
// line, say): symbolic links are followed, but the size limit of its kind
// holds and it must be a regular file.
func ReadLimited(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, ModeName(fi.Mode()))
	}
	kind, max := limitOf(path)
	if fi.Size() > max {
		return nil, &TooBigError{Path: path, Kind: kind, Size: fi.Size(), Max: max}
	}
	return io.ReadAll(&limitedFile{f: f, path: path, kind: kind, max: max, left: max})
}

// limitedFile reads at most max bytes of a file and fails past them.
type limitedFile struct {
	f         *os.File
	path      string
	kind      string
	max, left int64
}

func (l *limitedFile) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// At the limit: any further byte makes the file too big.
		var one [1]byte
		if n, _ := l.f.Read(one[:]); n > 0 {
			return 0, &TooBigError{Path: l.path, Kind: l.kind, Size: l.max + 1, Max: l.max}
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.f.Read(p)
	l.left -= int64(n)
	return n, err
}

func (l *limitedFile) Close() error { return l.f.Close() }

// pathError names the file in an error from os.Root, whose messages name
// only the last step, and keeps it matching fs.ErrNotExist and the like.
func pathError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: "open", Path: path, Err: pe.Err}
	}
	return fmt.Errorf("%s: %w", path, err)
}

// ModeName says what a file that is not a regular file is.
func ModeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link, not followed"
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}
