package cli

import "context"

// cmdMerge is filled in by the merge command's own file; until then it answers
// "not implemented yet" (exit 2) but honours --help.
func cmdMerge(ctx context.Context, e *env, args []string) int { return e.notImplemented(args) }
