package main

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
)

// A mapping is a line of /proc/self/maps that maps a file.
type mapping struct {
	lo, hi uint64 // [lo, hi)
	path   string
}

// parseMaps reads /proc/PID/maps lines ("lo-hi perms offset dev inode
// path"), keeping those whose path is a file. Anonymous mappings and
// pseudo-paths such as [heap] or [vdso] are skipped; a " (deleted)" suffix
// is kept, since the file really is mapped.
func parseMaps(r io.Reader) ([]mapping, error) {
	var maps []mapping
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		// Five space-separated fields, then the path, which may hold spaces.
		rest := text
		var fields [5]string
		for i := range fields {
			rest = strings.TrimLeft(rest, " ")
			end := strings.IndexByte(rest, ' ')
			if end < 0 {
				end = len(rest)
			}
			fields[i], rest = rest[:end], rest[end:]
		}
		if fields[4] == "" {
			return nil, fmt.Errorf("line %d: want at least 5 fields: %q", line, text)
		}
		loS, hiS, ok := strings.Cut(fields[0], "-")
		lo, err1 := strconv.ParseUint(loS, 16, 64)
		hi, err2 := strconv.ParseUint(hiS, 16, 64)
		if !ok || err1 != nil || err2 != nil || hi < lo {
			return nil, fmt.Errorf("line %d: bad address range %q", line, fields[0])
		}
		path := strings.TrimLeft(rest, " ")
		if !strings.HasPrefix(path, "/") {
			continue
		}
		maps = append(maps, mapping{lo: lo, hi: hi, path: path})
	}
	return maps, sc.Err()
}

// An allocInfo says which C allocator a process uses.
type allocInfo struct {
	Allocator string // tcmalloc, jemalloc, mimalloc, glibc, none, or a library's file name
	Library   string // the mapped file that provides malloc, when known
	Preload   string // $LD_PRELOAD
}

// allocatorName names the allocator a library file provides, or "" for a
// file that is not a known allocator.
func allocatorName(path string) string {
	base := filepath.Base(path)
	for _, a := range []struct{ prefix, name string }{
		{"libtcmalloc", "tcmalloc"}, // also libtcmalloc_minimal
		{"libjemalloc", "jemalloc"},
		{"libmimalloc", "mimalloc"},
		{"libc.so", "glibc"},
		{"libc-2.", "glibc"}, // glibc before 2.34 names the file by version
	} {
		if strings.HasPrefix(base, a.prefix) {
			return a.name
		}
	}
	return ""
}

// splitPreload splits LD_PRELOAD as the dynamic loader does: on spaces and
// colons.
func splitPreload(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ':' })
}

// preloadMapping finds the mapped file that the LD_PRELOAD entry lib names.
// maps shows a file's real path (symbolic links followed), so a path is
// resolved before comparing, and a bare name (which the loader looks up in
// its search path) matches a mapped file when that name in the file's
// folder resolves to it. resolve follows links, as filepath.EvalSymlinks.
func preloadMapping(maps []mapping, lib string, resolve func(string) (string, error)) (string, bool) {
	if strings.Contains(lib, "/") {
		real, err := resolve(lib)
		if err != nil {
			return "", false
		}
		for _, m := range maps {
			if m.path == real {
				return m.path, true
			}
		}
		return "", false
	}
	for _, m := range maps {
		if filepath.Base(m.path) == lib {
			return m.path, true
		}
		if real, err := resolve(filepath.Join(filepath.Dir(m.path), lib)); err == nil && real == m.path {
			return m.path, true
		}
	}
	return "", false
}

// checkAllocator works out the process's C allocator from its mappings,
// $LD_PRELOAD and, when haveAddr, the address malloc resolves to. It fails
// when a preloaded library is not mapped, or when a preloaded allocator is
// mapped but malloc comes from another file.
func checkAllocator(maps []mapping, preload string, mallocAddr uintptr, haveAddr bool, resolve func(string) (string, error)) (allocInfo, error) {
	info := allocInfo{Preload: preload}
	libs := splitPreload(preload)
	var preloadedAlloc, preloadedPath string // the first preloaded allocator: it interposes malloc
	var missing []string
	for _, lib := range libs {
		path, ok := preloadMapping(maps, lib, resolve)
		if !ok {
			missing = append(missing, lib)
			continue
		}
		if name := allocatorName(path); name != "" && preloadedAlloc == "" {
			preloadedAlloc, preloadedPath = name, path
		}
	}
	if len(missing) > 0 {
		why := "the dynamic loader did not load it (a misspelt name, a missing file or a library that failed to load; ld.so says which on stderr)"
		if !anySharedObject(maps) {
			why = "no shared library is mapped at all: this binary is statically linked (built without cgo), so no dynamic loader ran and LD_PRELOAD has no effect"
		}
		return info, fmt.Errorf("LD_PRELOAD=%q: %s not mapped into this process (/proc/self/maps): %s",
			preload, strings.Join(missing, ", "), why)
	}
	if haveAddr {
		for _, m := range maps {
			if uint64(mallocAddr) >= m.lo && uint64(mallocAddr) < m.hi {
				info.Library = m.path
				break
			}
		}
		if info.Library == "" {
			return info, fmt.Errorf("malloc is at %#x, which no mapped file in /proc/self/maps holds", mallocAddr)
		}
		info.Allocator = allocatorName(info.Library)
		if info.Allocator == "" {
			info.Allocator = filepath.Base(info.Library)
		}
		if preloadedAlloc != "" && info.Library != preloadedPath {
			return info, fmt.Errorf("LD_PRELOAD=%q: %s is mapped but malloc comes from %s", preload, preloadedPath, info.Library)
		}
		return info, nil
	}
	// Without cgo there is no malloc to look up: go by what is mapped.
	switch {
	case preloadedAlloc != "":
		info.Allocator, info.Library = preloadedAlloc, preloadedPath
	case !anySharedObject(maps):
		info.Allocator = "none"
	default:
		for _, m := range maps {
			if allocatorName(m.path) == "glibc" {
				info.Allocator, info.Library = "glibc", m.path
				break
			}
		}
		if info.Allocator == "" {
			info.Allocator = "unknown"
		}
	}
	return info, nil
}

// anySharedObject reports whether a shared library is mapped: false in a
// statically linked process.
func anySharedObject(maps []mapping) bool {
	for _, m := range maps {
		if strings.Contains(filepath.Base(m.path), ".so") {
			return true
		}
	}
	return false
}

// resolvePath is the real absolute path of p, as /proc/self/maps shows it.
func resolvePath(p string) (string, error) {
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	return filepath.Abs(r)
}
