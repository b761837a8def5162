package driver

import "context"

// An Op is one named operation of a workload. The driver calls Setup once,
// then Do at the target rate from -concurrency goroutines at once (so Do must
// be safe for concurrent use when that is above 1), then Teardown.
//
// A Do error counts the operation in "errors"; its latency is still recorded,
// because a failed operation took that time too.
type Op interface {
	Setup(ctx context.Context, p Params) error
	Do(ctx context.Context) error
	Teardown()
}

// Func is an Op with no setup or teardown.
type Func func(ctx context.Context) error

// Setup implements Op.
func (Func) Setup(context.Context, Params) error { return nil }

// Do implements Op.
func (f Func) Do(ctx context.Context) error { return f(ctx) }

// Teardown implements Op.
func (Func) Teardown() {}

// Ops are a workload's operations by name, as selected with -op.
type Ops map[string]Op

// A Windowed op is told when the measured window starts and ends, for
// example to bracket a server's own measurements or to reset counters.
// The driver calls these outside Do, from another goroutine.
type Windowed interface {
	StartWindow(ctx context.Context) error
	StopWindow(ctx context.Context) error
}

// A Reporter op adds its own figures to result.json under "op_report",
// for example HTTP status counts. The driver calls Report once, after the
// measured window, and encodes the value with encoding/json.
type Reporter interface {
	Report() any
}
