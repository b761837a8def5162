package cli

import (
	"context"
	"fmt"

	"github.com/perfharness/harness/harness/report"
)

func cmdPprof(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	diffBase := fs.String("diff-base", "", "subtract this `cell`'s profile (pprof -diff_base)")
	kind := fs.String("profile", "cpu", "profile `kind`: cpu, allocs, heap, mutex or block")
	addr := fs.String("http", "127.0.0.1:0", "listen `address` (a free loopback port by default)")
	remote := fs.Bool("allow-remote", false, "allow a non-loopback --http address: anyone who can connect sees the profile")
	noSource := fs.Bool("no-source", false, "show no source files (by default only those inside the build's module root, GOROOT and module cache)")
	pos, err := e.parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	if *remote {
		e.logf("warning: --allow-remote: the profile (function names, source paths) is served to anyone who can reach %s", *addr)
	}
	err = report.ServePprof(ctx, pos[0], pos[1], report.PprofOptions{
		Profile: *kind, DiffBase: *diffBase, Addr: *addr, AllowRemote: *remote, NoSource: *noSource, Log: e.stderr,
		Ready: func(url string) {
			fmt.Fprintf(e.stdout, "%s\n", url)
			e.logf("pprof web UI at %s (flame graph: %sflamegraph); interrupt to stop", url, url)
		},
	})
	if err != nil {
		return usageErr(fmt.Errorf("pprof: %w", err))
	}
	return nil
}
