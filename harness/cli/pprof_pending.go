package cli

import "context"

// cmdPprof is filled in by the pprof command's own file; until then it answers
// "not implemented yet" (exit 2) but honours --help.
func cmdPprof(ctx context.Context, e *env, args []string) int { return e.notImplemented(args) }
