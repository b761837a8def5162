package main

import (
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"
)

// A maps file as a cgo binary sees it with tcmalloc preloaded (trimmed).
const tcmallocMaps = `00400000-00402000 r--p 00000000 fe:00 9979314                            /opt/bin/alloc
00597000-005a2000 rw-p 00196000 fe:00 9979314                            /opt/bin/alloc
01e4b000-01e6c000 rw-p 00000000 00:00 0                                  [heap]
c000000000-c004000000 rw-p 00000000 00:00 0 
7f9c6fcfb000-7f9c6fd21000 r--p 00000000 fe:00 326269                     /usr/lib/x86_64-linux-gnu/libc.so.6
7f9c6fd21000-7f9c6fe77000 r-xp 00026000 fe:00 326269                     /usr/lib/x86_64-linux-gnu/libc.so.6
7f9c6fedd000-7f9c6feea000 r--p 00000000 fe:00 15630409                   /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.5.10
7f9c6feea000-7f9c6fefd000 r-xp 0000d000 fe:00 15630409                   /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.5.10
7f9c700ce000-7f9c700f4000 r-xp 00001000 fe:00 325835                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7ffd1c5d4000-7ffd1c5f5000 rw-p 00000000 00:00 0                          [stack]
7ffd1c5fa000-7ffd1c5fc000 r-xp 00000000 00:00 0                          [vdso]
`

const (
	libc     = "/usr/lib/x86_64-linux-gnu/libc.so.6"
	tcmalloc = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.5.10"
	jemalloc = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
)

func TestParseMaps(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     []mapping
		err      string
	}{
		{"files only: anonymous, [heap], [stack] and [vdso] are skipped", tcmallocMaps, []mapping{
			{0x400000, 0x402000, "/opt/bin/alloc"},
			{0x597000, 0x5a2000, "/opt/bin/alloc"},
			{0x7f9c6fcfb000, 0x7f9c6fd21000, libc},
			{0x7f9c6fd21000, 0x7f9c6fe77000, libc},
			{0x7f9c6fedd000, 0x7f9c6feea000, tcmalloc},
			{0x7f9c6feea000, 0x7f9c6fefd000, tcmalloc},
			{0x7f9c700ce000, 0x7f9c700f4000, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"},
		}, ""},
		{"a path with spaces and a deleted file are kept whole",
			"1000-2000 r-xp 00000000 08:01 42   /tmp/my libs/libx.so (deleted)\n",
			[]mapping{{0x1000, 0x2000, "/tmp/my libs/libx.so (deleted)"}}, ""},
		{"empty file", "", nil, ""},
		{"blank lines are ignored", "\n\n1000-2000 r--p 0 0:0 1 /a\n", []mapping{{0x1000, 0x2000, "/a"}}, ""},
		{"too few fields", "1000-2000 r--p 0\n", nil, "line 1: want at least 5 fields"},
		{"range without a dash", "10002000 r--p 0 0:0 1 /a\n", nil, "line 1: bad address range"},
		{"range not hex", "zz-2000 r--p 0 0:0 1 /a\n", nil, "bad address range"},
		{"range backwards", "2000-1000 r--p 0 0:0 1 /a\n", nil, "bad address range"},
	} {
		got, err := parseMaps(strings.NewReader(tt.in))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\ngot  %v, %v\nwant %v", tt.name, got, err, tt.want)
		}
	}
}

func FuzzParseMaps(f *testing.F) {
	f.Add(tcmallocMaps)
	f.Add("1000-2000 r-xp 00000000 08:01 42   /tmp/my libs/libx.so (deleted)\n")
	f.Add("2000-1000 r--p 0 0:0 1 /a\n")
	f.Fuzz(func(t *testing.T, in string) {
		maps, err := parseMaps(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, m := range maps {
			if m.lo > m.hi || !strings.HasPrefix(m.path, "/") {
				t.Errorf("parsed %+v from %q: want lo <= hi and an absolute path", m, in)
			}
		}
	})
}

// fakeResolve follows the links of a fake file system: libtcmalloc's
// soname link, Debian's /lib -> /usr/lib, and nothing else exists.
func fakeResolve(p string) (string, error) {
	links := map[string]string{
		"/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4": tcmalloc,
		"/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4":     tcmalloc,
		tcmalloc:                          tcmalloc,
		jemalloc:                          jemalloc,
		libc:                              libc,
		"/lib/x86_64-linux-gnu/libc.so.6": libc,
	}
	if r, ok := links[p]; ok {
		return r, nil
	}
	return "", &fs.PathError{Op: "lstat", Path: p, Err: fs.ErrNotExist}
}

func TestCheckAllocator(t *testing.T) {
	tc, err := parseMaps(strings.NewReader(tcmallocMaps))
	if err != nil {
		t.Fatal(err)
	}
	withJemalloc := append([]mapping{{0x7f0000000000, 0x7f0000100000, jemalloc}}, tc...)
	withFoo := append([]mapping{{0x7e0000000000, 0x7e0000100000, "/usr/lib/libfoo.so"}}, tc[:4]...)
	static := []mapping{{0x400000, 0x402000, "/opt/bin/alloc"}}
	glibcOnly := tc[:4] // the binary and libc
	const inTcmalloc, inLibc, inJemalloc, inFoo, nowhere = 0x7f9c6feeb000, 0x7f9c6fd30000, 0x7f0000000100, 0x7e0000000200, 0x10

	for _, tt := range []struct {
		name    string
		maps    []mapping
		preload string
		addr    uintptr // 0: no cgo, malloc unknown
		want    allocInfo
		err     string
	}{
		{"glibc default, cgo", glibcOnly, "", inLibc, allocInfo{Allocator: "glibc", Library: libc}, ""},
		{"glibc default, no cgo: libc is mapped", glibcOnly, "", 0, allocInfo{Allocator: "glibc", Library: libc}, ""},
		{"static binary without LD_PRELOAD: no C allocator", static, "", 0, allocInfo{Allocator: "none"}, ""},
		{"tcmalloc by soname, malloc in tcmalloc", tc, "libtcmalloc_minimal.so.4", inTcmalloc,
			allocInfo{Allocator: "tcmalloc", Library: tcmalloc, Preload: "libtcmalloc_minimal.so.4"}, ""},
		{"tcmalloc by a path through /lib and a link", tc, "/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4", inTcmalloc,
			allocInfo{Allocator: "tcmalloc", Library: tcmalloc, Preload: "/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"}, ""},
		{"tcmalloc by its real file name", tc, "libtcmalloc_minimal.so.4.5.10", inTcmalloc,
			allocInfo{Allocator: "tcmalloc", Library: tcmalloc, Preload: "libtcmalloc_minimal.so.4.5.10"}, ""},
		{"tcmalloc, no cgo: known from the mapping", tc, "libtcmalloc_minimal.so.4", 0,
			allocInfo{Allocator: "tcmalloc", Library: tcmalloc, Preload: "libtcmalloc_minimal.so.4"}, ""},
		{"the first preloaded allocator interposes; colons and spaces separate", withJemalloc, jemalloc + ": libtcmalloc_minimal.so.4", inJemalloc,
			allocInfo{Allocator: "jemalloc", Library: jemalloc, Preload: jemalloc + ": libtcmalloc_minimal.so.4"}, ""},
		{"misspelt name", tc, "libtcmaloc_minimal.so.4", inLibc, allocInfo{},
			`libtcmaloc_minimal.so.4 not mapped into this process (/proc/self/maps): the dynamic loader did not load it`},
		{"missing path", glibcOnly, "/nonexistent/libjemalloc.so.2", inLibc, allocInfo{},
			"/nonexistent/libjemalloc.so.2 not mapped"},
		{"installed but not loaded (e.g. wrong architecture)", glibcOnly, jemalloc, inLibc, allocInfo{},
			jemalloc + " not mapped"},
		{"one of two missing: both named", tc, "libtcmalloc_minimal.so.4 libnope.so libnada.so", inTcmalloc, allocInfo{},
			"libnope.so, libnada.so not mapped"},
		{"static binary with LD_PRELOAD", static, "libtcmalloc_minimal.so.4", 0, allocInfo{},
			"statically linked"},
		{"preloaded allocator mapped but malloc elsewhere", tc, "libtcmalloc_minimal.so.4", inLibc, allocInfo{},
			"is mapped but malloc comes from " + libc},
		{"malloc outside every mapped file", glibcOnly, "", nowhere, allocInfo{}, "no mapped file"},
		{"preloaded non-allocator: malloc still from libc", withFoo, "libfoo.so", inLibc,
			allocInfo{Allocator: "glibc", Library: libc, Preload: "libfoo.so"}, ""},
		{"preloaded unknown library that provides malloc: named by file", withFoo, "libfoo.so", inFoo,
			allocInfo{Allocator: "libfoo.so", Library: "/usr/lib/libfoo.so", Preload: "libfoo.so"}, ""},
	} {
		got, err := checkAllocator(tt.maps, tt.preload, tt.addr, tt.addr != 0, fakeResolve)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v\nwant one containing %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s:\ngot  %+v, %v\nwant %+v", tt.name, got, err, tt.want)
		}
	}
}

func TestAllocatorName(t *testing.T) {
	for path, want := range map[string]string{
		"/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.5.10": "tcmalloc",
		"/usr/lib/libtcmalloc.so.4":                               "tcmalloc",
		"/usr/lib/x86_64-linux-gnu/libjemalloc.so.2":              "jemalloc",
		"/usr/lib/x86_64-linux-gnu/libmimalloc.so.2.0":            "mimalloc",
		"/lib/x86_64-linux-gnu/libc.so.6":                         "glibc",
		"/lib64/libc-2.17.so":                                     "glibc",
		"/usr/lib/libcrypto.so.3":                                 "",
		"/usr/lib/x86_64-linux-gnu/libcap.so.2":                   "",
	} {
		if got := allocatorName(path); got != want {
			t.Errorf("allocatorName(%s) = %q, want %q", path, got, want)
		}
	}
}

func TestResolvePathErrors(t *testing.T) {
	if _, err := resolvePath("/nonexistent/libfoo.so"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("resolvePath of a missing file: %v; want not exist", err)
	}
}
