package build

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"sort"
	"syscall"
	"time"

	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/toolchain"
)

// layoutVersion is the cache folder's top level; a new layout gets a new one.
const layoutVersion = "v1"

// staleTemp is how old a temporary build folder must be before a later
// process removes it: builds take minutes, not days.
const staleTemp = 24 * time.Hour

const (
	metaFile = "meta.json"
	logFile  = "build.log"
)

// entryMeta is a cache entry's meta.json.
type entryMeta struct {
	Key       string               `json:"key"`
	Label     string               `json:"label"` // of the build that made the entry
	Binary    string               `json:"binary"`
	Size      int64                `json:"size"`
	SHA256    string               `json:"sha256,omitempty"` // of the binary as built
	BuildNs   int64                `json:"build_ns"`
	BuiltAt   time.Time            `json:"built_at"`
	Command   []string             `json:"command"`
	Env       []string             `json:"env"`
	Dir       string               `json:"dir"`
	GoVersion string               `json:"go_version"`
	Settings  []debug.BuildSetting `json:"settings"`
	Recipe    []string             `json:"recipe"`
}

func (b *Builder) root() string { return filepath.Join(b.Dir, layoutVersion) }

func (b *Builder) entryDir(key string) string {
	return filepath.Join(b.root(), "entries", key[:2], key)
}

// lookup fills res from the entry under key if one is there and whole. A
// folder under the key that is not a whole entry (a binary removed or cut
// short by hand) is reported as broken.
func (b *Builder) lookup(key string, res *Result) (hit, broken bool) {
	dir := b.entryDir(key)
	data, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		_, statErr := os.Stat(dir)
		return false, statErr == nil
	}
	var m entryMeta
	if json.Unmarshal(data, &m) != nil || m.Key != key || m.Binary == "" {
		return false, true
	}
	bin := filepath.Join(dir, m.Binary)
	if fi, err := os.Stat(bin); err != nil || fi.Size() != m.Size {
		return false, true
	}
	if m.SHA256 == "" {
		// An entry an older harness made: record its binary's digest now,
		// so runs of it can be confirmed (Verified) later.
		if d, err := fileSHA256(bin); err == nil {
			m.SHA256 = d
			_ = writeJSONAtomic(filepath.Join(dir, metaFile), m)
		}
	}
	// Entries are immutable; the time stamp only tells a future trim which
	// entries are still in use.
	now := time.Now()
	_ = os.Chtimes(filepath.Join(dir, metaFile), now, now)
	res.fill(dir, &m)
	return true, false
}

func (r *Result) fill(dir string, m *entryMeta) {
	r.Key = m.Key
	r.Binary = filepath.Join(dir, m.Binary)
	r.LogFile = filepath.Join(dir, logFile)
	r.Size = m.Size
	r.SHA256 = m.SHA256
	r.BuildTime = time.Duration(m.BuildNs)
	r.Command = m.Command
	r.Env = m.Env
	r.WorkDir = m.Dir
	r.GoVersion = m.GoVersion
	r.Settings = m.Settings
	r.Recipe = m.Recipe
}

// publish moves a finished temporary entry under its key. When another
// builder got there first, its entry stays and ours is dropped: both were
// built from the same inputs.
func (b *Builder) publish(tmp, key string) error {
	dir := b.entryDir(key)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("publishing cache entry: %w", err)
	}
	err := os.Rename(tmp, dir)
	if err == nil {
		return nil
	}
	os.RemoveAll(tmp)
	if _, statErr := os.Stat(filepath.Join(dir, metaFile)); statErr == nil {
		return nil
	}
	return fmt.Errorf("publishing cache entry: %w", err)
}

// discard removes a broken entry: it is first renamed into tmp so that no
// reader finds a half-removed folder under the key.
func (b *Builder) discard(dir string) error {
	trash, err := os.MkdirTemp(b.tmpDir(), "broken-")
	if err != nil {
		return err
	}
	if err := os.Rename(dir, filepath.Join(trash, "entry")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		os.RemoveAll(trash)
		return err
	}
	return os.RemoveAll(trash)
}

func (b *Builder) tmpDir() string { return filepath.Join(b.root(), "tmp") }

// cleanTemp removes temporary build folders that killed processes left
// behind.
func (b *Builder) cleanTemp() {
	entries, err := os.ReadDir(b.tmpDir())
	if err != nil {
		return
	}
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleTemp {
			os.RemoveAll(filepath.Join(b.tmpDir(), e.Name()))
		}
	}
}

// A toolchainMemo remembers a toolchain's identity with stamps of the files
// it was computed from.
type toolchainMemo struct {
	Version  string      `json:"version"`
	Stamps   []fileStamp `json:"stamps"`
	Identity string      `json:"identity"`
}

// A fileStamp identifies a file's content without reading it: size,
// modification and change times, inode.
type fileStamp struct {
	Path  string `json:"path"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime_ns"`
	CTime int64  `json:"ctime_ns"`
	Inode uint64 `json:"inode"`
	Dev   uint64 `json:"dev"`
}

// identity returns tc.Identity(), remembered in the cache folder.
//
// Note: Identity hashes the go command, compiler, linker and assembler
// (tens of MB, about 45 ms), which alone would be most of a second run's
// budget when nothing needs rebuilding. A toolchain's files do not change in
// place (the module cache is read-only; a GOROOT update replaces files), and
// any write to a file moves its change time, which no user call can set back.
// So when the go command and every file in the toolchain's tool folder have
// the size, times and inode they had when the identity was computed, the
// identity is reused; otherwise it is recomputed.
func (b *Builder) identity(tc *toolchain.Toolchain) (string, error) {
	b.mu.Lock()
	id, ok := b.ids[tc]
	b.mu.Unlock()
	if ok {
		return id, nil
	}
	stamps, err := toolchainStamps(tc)
	if err != nil {
		return "", fmt.Errorf("toolchain %s: %w", tc.Name, err)
	}
	sum := sha256.Sum256([]byte(tc.Go + "\x00" + tc.GOROOT + "\x00" + tc.Version + "\x00" + tc.GOOS + "/" + tc.GOARCH))
	file := filepath.Join(b.root(), "toolchains", hex.EncodeToString(sum[:8])+".json")
	var memo toolchainMemo
	if data, err := os.ReadFile(file); err == nil && json.Unmarshal(data, &memo) == nil &&
		memo.Version == tc.Version && memo.Identity != "" && slices.Equal(memo.Stamps, stamps) {
		id = memo.Identity
	} else {
		if id, err = tc.Identity(); err != nil {
			return "", err
		}
		_ = writeJSONAtomic(file, toolchainMemo{Version: tc.Version, Stamps: stamps, Identity: id})
	}
	b.mu.Lock()
	b.ids[tc] = id
	b.mu.Unlock()
	return id, nil
}

// toolchainStamps stamps the go command and every file in the toolchain's
// tool folder (a superset of what Identity hashes).
func toolchainStamps(tc *toolchain.Toolchain) ([]fileStamp, error) {
	files := []string{tc.Go}
	tools := filepath.Join(tc.GOROOT, "pkg", "tool", tc.GOOS+"_"+tc.GOARCH)
	entries, err := os.ReadDir(tools)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, filepath.Join(tools, e.Name()))
		}
	}
	sort.Strings(names)
	files = append(files, names...)
	stamps := make([]fileStamp, 0, len(files))
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		s := fileStamp{Path: f, Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
		s.CTime, s.Inode, s.Dev = sysStamp(fi)
		stamps = append(stamps, s)
	}
	return stamps, nil
}

// writeJSONAtomic writes v as indented JSON to file through a temporary file
// and a rename, creating the folder.
func writeJSONAtomic(file string, v any) error {
	data, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return err
	}
	return writeFileAtomic(file, append(data, '\n'))
}

func writeFileAtomic(file string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(file), ".tmp-"+filepath.Base(file)+"-")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), file)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// linkOrCopy makes dst a hard link to src, or an atomic copy where links are
// not possible (another file system). An existing dst is replaced.
func linkOrCopy(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(dst), ".tmp-"+filepath.Base(dst)+"-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	os.Remove(tmp)
	if err := os.Link(src, tmp); err == nil {
		if err := os.Rename(tmp, dst); err != nil {
			os.Remove(tmp)
			return err
		}
		return nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return writeFileAtomic(dst, data)
}

// cacheKeyPattern is the shape of a cache key: a hex sha256.
var cacheKeyPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Verified returns the entry under a cache key that came from elsewhere (a
// results folder's manifest, which is untrusted): the key must be a cache
// key, the entry whole, and its binary a regular file whose digest is the
// one recorded when it was built and, when want is not empty, want too.
// A results folder can name a key, never a path to run.
func (b *Builder) Verified(key, want string) (*Result, error) {
	if !cacheKeyPattern.MatchString(key) {
		return nil, fmt.Errorf("%q is not a build cache key", key)
	}
	dir := b.entryDir(key)
	data, err := results.ReadFileIn(dir, metaFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no build cache entry %.12s in %s", key, b.Dir)
		}
		return nil, err
	}
	var m entryMeta
	if err := json.Unmarshal(data, &m); err != nil || m.Key != key || m.Binary == "" || !filepath.IsLocal(m.Binary) || filepath.Base(m.Binary) != m.Binary {
		return nil, fmt.Errorf("build cache entry %.12s is broken", key)
	}
	if m.SHA256 == "" {
		return nil, fmt.Errorf("build cache entry %.12s records no digest of its binary (an older harness made it)", key)
	}
	if want != "" && want != m.SHA256 {
		return nil, fmt.Errorf("build cache entry %.12s holds another binary than the run recorded (sha256 %.12s, recorded %.12s)", key, m.SHA256, want)
	}
	bin := filepath.Join(dir, m.Binary)
	if fi, err := os.Lstat(bin); err != nil || !fi.Mode().IsRegular() || fi.Size() != m.Size {
		return nil, fmt.Errorf("build cache entry %.12s: its binary is missing or changed", key)
	}
	got, err := fileSHA256(bin)
	if err != nil {
		return nil, err
	}
	if got != m.SHA256 {
		return nil, fmt.Errorf("build cache entry %.12s: its binary changed since it was built (sha256 %.12s, built as %.12s)", key, got, m.SHA256)
	}
	res := &Result{Cached: true}
	res.fill(dir, &m)
	return res, nil
}

// fileSHA256 returns the hex digest of a file's content.
func fileSHA256(path string) (string, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
