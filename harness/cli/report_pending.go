package cli

import "context"

// cmdReport is filled in by the report command's own file; until then it answers
// "not implemented yet" (exit 2) but honours --help.
func cmdReport(ctx context.Context, e *env, args []string) int { return e.notImplemented(args) }
