package results

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/perfharness/harness/harness/spec"
)

// A Shard is the results folder of one shard of a sharded run (harness run
// --shard I/N), read for merging.
type Shard struct {
	Path     string
	Manifest *Manifest
	Spec     []byte // the spec copy it kept
}

// ReadShard reads the manifest and the spec copy of a results folder.
func ReadShard(path string) (*Shard, error) {
	d, err := Open(path)
	if err != nil {
		return nil, err
	}
	m, err := d.ReadManifest()
	if err != nil {
		return nil, err
	}
	src, err := ReadFileIn(path, SpecFile)
	if err != nil {
		return nil, fmt.Errorf("%s: the spec copy is missing: %w", path, err)
	}
	return &Shard{Path: path, Manifest: m, Spec: src}, nil
}

// MergeOptions relax Merge's rules.
type MergeOptions struct {
	Partial           bool // merge even when some shards are missing
	AllowHostMismatch bool // merge shards from different kinds of host
}

// Merge checks that shards belong together and returns the manifest of
// their union, named runID. It is pure: the folders are read before (see
// ReadShard) and written after (see WriteMerged). The rules:
//   - every shard ran the same spec (sha256 of the spec file, and the copy
//     each kept hashes to it);
//   - each is one shard "I/N" of the same N, no shard given twice;
//   - each holds exactly the cells its I/N selects from the spec's cells
//     (see InShard), so cells are disjoint and a shard cannot claim cells
//     it did not run;
//   - all shards ran on the same kind of host (CPU identity), unless
//     allowed;
//   - all N shards are present, unless partial.
func Merge(shards []*Shard, runID string, opts MergeOptions) (*Manifest, error) {
	if len(shards) == 0 {
		return nil, errors.New("no shards to merge")
	}
	first := shards[0].Manifest
	s, err := spec.Parse(first.SpecFile, shards[0].Spec)
	if err != nil {
		return nil, fmt.Errorf("%s: the spec copy does not parse: %w", shards[0].Path, err)
	}
	var allIDs []string
	for _, c := range s.Cells() {
		allIDs = append(allIDs, c.ID)
	}
	absent, err := checkShards(shards, allIDs, opts)
	if err != nil {
		return nil, err
	}
	m := mergeShards(shards, runID, allIDs)
	var notComplete []string
	for _, sh := range shards {
		if sm := sh.Manifest; sm.Status != RunComplete {
			notComplete = append(notComplete, fmt.Sprintf("shard %s is %s", sm.Shard, sm.Status))
		}
	}
	switch {
	case len(absent) > 0:
		m.Status, m.Reason = RunIncomplete, "shards "+strings.Join(absent, ", ")+" are missing"
	case len(notComplete) > 0:
		m.Status, m.Reason = RunIncomplete, strings.Join(notComplete, "; ")
	default:
		m.Status, m.Reason = m.Outcome()
	}
	return m, nil
}

// checkShards applies Merge's rules and returns the shards missing
// ("2/3").
func checkShards(shards []*Shard, allIDs []string, opts MergeOptions) (absent []string, err error) {
	n := 0
	first := shards[0].Manifest
	seen := map[int]string{}
	owner := map[string]string{}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, sh := range shards {
		m := sh.Manifest
		if m.SpecSHA256 != first.SpecSHA256 {
			bad("%s ran another spec (sha256 %.12s, %s has %.12s)", sh.Path, m.SpecSHA256, shards[0].Path, first.SpecSHA256)
			continue
		}
		if SHA256(sh.Spec) != m.SpecSHA256 {
			bad("%s: its spec copy does not match the sha256 its manifest records", sh.Path)
			continue
		}
		if m.Shard == "" {
			bad("%s: not a shard (its run had no --shard)", sh.Path)
			continue
		}
		i, ni, err := ParseShard(m.Shard)
		if err != nil {
			bad("%s: %v", sh.Path, err)
			continue
		}
		if n == 0 {
			n = ni
		}
		if ni != n {
			bad("%s is shard %s, but %s is shard %s: different shard counts", sh.Path, m.Shard, shards[0].Path, first.Shard)
			continue
		}
		if prev, dup := seen[i]; dup {
			bad("shard %d/%d given twice: %s and %s", i, n, prev, sh.Path)
			continue
		}
		seen[i] = sh.Path
		want := map[string]bool{}
		for j, id := range allIDs {
			if InShard(j, i, n) {
				want[id] = true
			}
		}
		got := map[string]bool{}
		for _, c := range m.Cells {
			got[c.ID] = true
			if other, ok := owner[c.ID]; ok {
				bad("cell %s is in both %s and %s", c.ID, other, sh.Path)
			}
			owner[c.ID] = sh.Path
			if !want[c.ID] {
				bad("%s claims cell %s, which is not in shard %s of the spec", sh.Path, c.ID, m.Shard)
			}
		}
		var missing []string
		for id := range want {
			if !got[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			bad("%s lacks %d cells of shard %s (e.g. %s)", sh.Path, len(missing), m.Shard, missing[0])
		}
		if m.Host.ID != first.Host.ID && !opts.AllowHostMismatch {
			bad("%s ran on host %s (%s), %s on %s (%s): merged results would mix kinds of machine; use one runner class per spec, or pass --allow-host-mismatch",
				sh.Path, m.Host.ID, m.Host.Label(), shards[0].Path, first.Host.ID, first.Host.Label())
		}
		if m.Status == RunRunning {
			bad("%s is still running (or its harness died: harness run --resume completes it)", sh.Path)
		}
	}
	for i := 1; i <= n; i++ {
		if _, ok := seen[i]; !ok {
			absent = append(absent, fmt.Sprintf("%d/%d", i, n))
		}
	}
	if len(absent) > 0 && !opts.Partial && len(problems) == 0 {
		bad("shards %s are missing (pass --partial to merge what there is)", strings.Join(absent, ", "))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("cannot merge:\n%s", strings.Join(problems, "\n"))
	}
	return absent, nil
}

// mergeShards returns the union of the shards' manifests, cells in the
// spec's order, status not yet settled.
func mergeShards(shards []*Shard, runID string, allIDs []string) *Manifest {
	first := shards[0].Manifest
	m := &Manifest{
		Format: FormatVersion, RunID: runID, Name: first.Name, SpecFile: first.SpecFile,
		SpecSHA256: first.SpecSHA256, SpecDir: first.SpecDir, Harness: first.Harness, Host: first.Host,
		Dimensions: first.Dimensions, Count: first.Count, Retries: first.Retries, Interleave: first.Interleave, Shuffle: first.Shuffle,
		Seed: first.Seed, Profiles: first.Profiles, Gate: first.Gate, Warnings: []string{},
	}
	var parts []string
	for _, sh := range shards {
		sm := sh.Manifest
		parts = append(parts, fmt.Sprintf("%s (%s on %s)", sm.Shard, sm.RunID, sm.Host.Label()))
		if m.Started.IsZero() || sm.Started.Before(m.Started) {
			m.Started = sm.Started
		}
		if sm.Finished.After(m.Finished) {
			m.Finished = sm.Finished
		}
		if sm.Count != first.Count {
			m.Warnings = append(m.Warnings, fmt.Sprintf("shard %s ran %d repetitions per cell, shard %s %d", sm.Shard, sm.Count, first.Shard, first.Count))
			m.Count = max(m.Count, sm.Count)
		}
		if sm.Host.ID != first.Host.ID {
			m.Warnings = append(m.Warnings, fmt.Sprintf("HOST MISMATCH: shard %s ran on host %s (%s); the manifest records shard %s's host", sm.Shard, sm.Host.ID, sm.Host.Label(), first.Shard))
		}
		for _, w := range sm.Warnings {
			if !slices.Contains(m.Warnings, w) {
				m.Warnings = append(m.Warnings, w)
			}
		}
		for _, tc := range sm.Toolchains {
			if !slices.ContainsFunc(m.Toolchains, func(x Toolchain) bool { return x.Name == tc.Name && x.Identity == tc.Identity }) {
				m.Toolchains = append(m.Toolchains, tc)
			}
		}
		for _, b := range sm.Builds {
			i := slices.IndexFunc(m.Builds, func(x *Build) bool { return x.Key == b.Key })
			switch {
			case i < 0:
				m.Builds = append(m.Builds, b)
			case m.Builds[i].Status != StatusOK && b.Status == StatusOK:
				m.Builds[i] = b // a shard that needed the build has its outcome
			}
		}
		m.Cells = append(m.Cells, sm.Cells...)
	}
	sort.Strings(parts)
	m.Warnings = append([]string{"merged from shards " + strings.Join(parts, ", ")}, m.Warnings...)
	index := map[string]int{}
	for i, id := range allIDs {
		index[id] = i
	}
	slices.SortStableFunc(m.Cells, func(a, b *Cell) int { return index[a.ID] - index[b.ID] })
	if m.Finished.IsZero() {
		m.Finished = time.Now()
	}
	return m
}

// WriteMerged creates the merged folder out: the shards' cell folders,
// build logs and PGO passes copied in, the spec copy, the manifest m, and
// bench.txt rebuilt from the run folders. A failure removes what it
// created; an existing out is refused (errors.Is(err, fs.ErrExist)).
func WriteMerged(out string, shards []*Shard, m *Manifest) (d *Dir, err error) {
	d, err = Create(filepath.Dir(filepath.Clean(out)), m.RunID)
	if err != nil {
		return nil, err
	}
	created := d.Path
	defer func() {
		if err != nil {
			os.RemoveAll(created)
		}
	}()
	for _, sh := range shards {
		src, err := Open(sh.Path)
		if err != nil {
			return nil, err
		}
		for _, c := range sh.Manifest.Cells {
			if c.Dir == "" {
				continue
			}
			if err := copyTree(src, d, c.Dir); err != nil {
				return nil, err
			}
		}
		for _, sub := range []string{"builds", "pgo"} {
			if err := copyTree(src, d, sub); err != nil {
				return nil, err
			}
		}
	}
	if err := d.WriteFile(SpecFile, shards[0].Spec); err != nil {
		return nil, err
	}
	if err := AssembleBench(d, m); err != nil {
		return nil, fmt.Errorf("rebuilding bench.txt: %w", err)
	}
	if err := d.WriteManifest(m); err != nil {
		return nil, err
	}
	return d, nil
}

// copyTree copies the regular files under rel in src to the same place in
// dst, refusing paths that leave either folder and anything but folders and
// regular files (a results folder holds no symlink of its own; none is
// followed). A missing rel copies nothing.
func copyTree(src, dst *Dir, rel string) error {
	from, err := src.Join(rel)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(from); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return filepath.WalkDir(from, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, err := filepath.Rel(src.Path, path)
		if err != nil {
			return err
		}
		switch {
		case de.IsDir():
			_, err := dst.MkdirAll(r)
			return err
		case !de.Type().IsRegular():
			return fmt.Errorf("%s: %w (%s): the harness writes none in a results folder", path, ErrNotRegular, ModeName(de.Type()))
		}
		target, err := dst.Join(r)
		if err != nil {
			return err
		}
		if _, err := os.Lstat(target); err == nil {
			return nil // a build log two shards share
		}
		return copyFile(src, r, target)
	})
}

// copyFile copies rel of src to the path to, reading it as untrusted input
// (no symlink followed, within its size limit).
func copyFile(src *Dir, rel, to string) error {
	in, err := src.Open(rel)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := to + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, to)
}
