package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/perfharness/harness/harness/results"
)

// cmdMerge combines the results folders of a sharded run (harness run
// --shard I/N on several machines) into one, which reports, compares and
// gates like an unsharded run.
func cmdMerge(ctx context.Context, e *env, args []string) error {
	flags := e.flags()
	out := flags.String("o", "", "the merged results folder to create, e.g. results/nightly-42 (must not exist)")
	var o results.MergeOptions
	flags.BoolVar(&o.Partial, "partial", false, "merge even when some shards are missing (the merged run is incomplete)")
	flags.BoolVar(&o.AllowHostMismatch, "allow-host-mismatch", false, "merge shards that ran on different kinds of host (recorded as a warning)")
	pos, err := e.parse(flags, args, 1, -1)
	if err != nil {
		return err
	}
	if *out == "" {
		return e.usage("want -o results/<merged run>")
	}
	var shards []*results.Shard
	for _, p := range pos {
		sh, err := results.ReadShard(p)
		if err != nil {
			return usageErr(err)
		}
		shards = append(shards, sh)
	}
	m, err := results.Merge(shards, filepath.Base(filepath.Clean(*out)), o)
	if err != nil {
		return usageErr(err)
	}
	d, err := results.WriteMerged(*out, shards, m)
	if errors.Is(err, fs.ErrExist) {
		return usageErr(err) // the output folder exists: merge never overwrites
	} else if err != nil {
		return incomplete(err)
	}
	fmt.Fprintf(e.stdout, "merged %d shards of %s into %s: %d cells, %s\n", len(shards), m.Name, d.Path, len(m.Cells), m.Status)
	for _, w := range m.Warnings {
		if strings.HasPrefix(w, "merged from") || strings.Contains(w, "shard") {
			fmt.Fprintf(e.stdout, "  %s\n", w)
		}
	}
	if m.Status != results.RunComplete {
		return exitSilently(ExitIncomplete)
	}
	return nil
}
