package cli

import "context"

// cmdCompare is filled in by the compare command's own file; until then it answers
// "not implemented yet" (exit 2) but honours --help.
func cmdCompare(ctx context.Context, e *env, args []string) int { return e.notImplemented(args) }
