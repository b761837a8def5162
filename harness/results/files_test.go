package results

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Files in a results folder are read as untrusted input: no symbolic link
// followed to the file, no folder on the way leading out, only regular
// files, each within the limit of its kind.
func TestOpenInRefuses(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "run")
	outside := filepath.Join(tmp, "outside")
	for _, d := range []string{filepath.Join(dir, "cells", "c", "run-1"), filepath.Join(outside, "run-1")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	secret := "SECRET-FIRST-BYTES\n"
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(outside, "secret"), secret)
	write(filepath.Join(outside, "run-1", "result.json"), secret)
	write(filepath.Join(dir, "cells", "c", "run-1", "result.json"), `{"format": 1}`)
	link := func(target, name string) {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	link(filepath.Join(outside, "secret"), ManifestFile)
	link(filepath.Join("cells", "c", "run-1", "result.json"), BenchFile) // inside, but a link
	link(outside, filepath.Join("cells", "out"))                         // a folder leading out
	link("c", filepath.Join("cells", "alias"))                           // a folder staying inside
	link(filepath.Join("..", "..", "..", "outside"), filepath.Join("cells", "c", "up"))
	if err := syscall.Mkfifo(filepath.Join(dir, "progress.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "cpu.pprof"), 0o755); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "cells", "c", "run-1", "latency.hlog")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxHlog+1); err != nil { // sparse: nothing is written
		t.Fatal(err)
	}
	for _, tt := range []struct {
		rel, want string
	}{
		{ManifestFile, "symbolic link, not followed"},
		{BenchFile, "symbolic link, not followed"},
		{"cells/out/run-1/result.json", "escapes"},
		{"cells/c/up/secret", "escapes"},
		{"../outside/secret", "leaves the folder"},
		{"/etc/passwd", "leaves the folder"},
		{"progress.json", "a named pipe"},
		{"cpu.pprof", "a folder"},
		{"cells/c/run-1/latency.hlog", "too big: a latency log of 256.0 MiB or more, past the 256.0 MiB limit"},
	} {
		data, err := ReadFileIn(dir, tt.rel)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s: %q, %v; want an error saying %q", tt.rel, data, err, tt.want)
		}
	}
	if data, err := ReadFileIn(dir, "cells/alias/run-1/result.json"); err != nil || string(data) != `{"format": 1}` {
		t.Errorf("a folder link staying inside: %q, %v", data, err)
	}
	if _, err := ReadFileIn(dir, "cells/c/run-1/missing.json"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), filepath.Join(dir, "cells/c/run-1/missing.json")) {
		t.Errorf("a missing file: %v, want fs.ErrNotExist naming the path", err)
	}
	// A file that grows past its limit while read is cut off with an error.
	small := filepath.Join(dir, "addr")
	write(small, strings.Repeat("x", MaxSmall))
	f, err := OpenIn(dir, "addr")
	if err != nil {
		t.Fatal(err)
	}
	fa, _ := os.OpenFile(small, os.O_APPEND|os.O_WRONLY, 0)
	fa.Write([]byte("more"))
	fa.Close()
	buf := make([]byte, 64<<10)
	var rerr error
	for rerr == nil {
		_, rerr = f.Read(buf)
	}
	f.Close()
	var tb *TooBigError
	if !errors.As(rerr, &tb) {
		t.Errorf("a file grown past its limit while read: %v, want a *TooBigError", rerr)
	}
	d := &Dir{Path: dir}
	if _, err := d.ReadManifest(); err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("a manifest that is a symlink: %v", err)
	}
}
