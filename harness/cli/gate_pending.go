package cli

import "context"

// cmdGate is filled in by the gate command's own file; until then it answers
// "not implemented yet" (exit 2) but honours --help.
func cmdGate(ctx context.Context, e *env, args []string) int { return e.notImplemented(args) }
