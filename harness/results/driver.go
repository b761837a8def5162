package results

import (
	"encoding/json"
	"fmt"
	"path/filepath"
)

// Files a workload process leaves in its run folder (see the run protocol in
// workloads/driver). The harness reads them here and nowhere else.
const (
	// ResultFile is a driver workload's (or the HTTP load client's)
	// figures.
	ResultFile = "result.json"
	// ServerFile is an HTTP server workload's figures, in the run
	// folder's ServerDir.
	ServerFile = "server.json"
	ServerDir  = "server"
)

// DriverFormat is the version of result.json and server.json this harness
// reads; a file of another version is refused rather than misread.
const DriverFormat = 1

// A DriverResult is the part of a driver's result.json the harness uses:
// the run's own verdict, its rates and counts, its latency summaries and
// the runtime figures of its measured window. Unknown fields are ignored,
// so a newer driver of the same format stays readable.
type DriverResult struct {
	Format       int      `json:"format"`
	Status       Status   `json:"status"` // ok, rate-not-achieved or failed
	Reason       string   `json:"reason"`
	Interrupted  bool     `json:"interrupted"`
	GOMAXPROCS   int      `json:"gomaxprocs"`
	TargetRate   float64  `json:"target_rate"`
	AchievedRate float64  `json:"achieved_rate"`
	Schedule     string   `json:"schedule"` // constant:R, steps:R1,R2,... or ramp:A-B
	DurationNs   int64    `json:"duration_ns"`
	Completed    int64    `json:"completed"`
	Errors       int64    `json:"errors"`
	Warnings     []string `json:"warnings"`
	// LagDominated are the bench.txt units the driver left out of the
	// run's bench.txt because the generator's lag was a material part of
	// them (a tail percentile, the mean).
	LagDominated []string `json:"lag_dominated"`
	// OpReport is what an http workload's load client reports besides
	// latency (nil for others).
	OpReport *OpReport `json:"op_report"`
	// Latency is from each op's intended start; LatencyActual from when
	// it actually began; Lag is the generator's own delay.
	Latency       LatencySummary `json:"latency"`
	LatencyActual LatencySummary `json:"latency_actual"`
	Lag           LatencySummary `json:"lag"`
	Runtime       RuntimeFigures `json:"runtime"`
	// Contention is the host's contention over the window, when the
	// driver measured it.
	Contention struct {
		Measured bool `json:"measured"`
		Contention
	} `json:"contention"`
}

// An OpReport is an http load client's account of its requests: status
// codes, errors by kind, connections.
type OpReport struct {
	StatusCodes       map[string]int64 `json:"status_codes"`
	Errors            map[string]int64 `json:"errors"`
	ConnectionsDialed int64            `json:"connections_dialed"`
	MaxConnections    int64            `json:"max_connections"`
}

// A LatencySummary is one histogram's count and percentiles, in ns.
type LatencySummary struct {
	Count    int64 `json:"count"`
	P50Ns    int64 `json:"p50_ns"`
	P90Ns    int64 `json:"p90_ns"`
	P99Ns    int64 `json:"p99_ns"`
	P999Ns   int64 `json:"p999_ns"`
	MaxNs    int64 `json:"max_ns"`
	Overflow int64 `json:"overflow"`
}

// RuntimeFigures are the Go runtime's figures over a measured window.
type RuntimeFigures struct {
	GCCycles     int64 `json:"gc_cycles"`
	GCPauseP99Ns int64 `json:"gc_pause_p99_ns"`
	PeakRSSB     int64 `json:"peak_rss_B"`
	AllocB       int64 `json:"alloc_B"`
	AllocObjects int64 `json:"alloc_objects"`
	// GCPerSecond is the GC cycles completed in each second of the window.
	GCPerSecond []uint64 `json:"gc_cycles_per_second"`
}

// A ServerResult is the part of an HTTP server workload's server.json the
// harness uses: requests handled in the measured window and the runtime
// figures of the code under test.
type ServerResult struct {
	Format     int            `json:"format"`
	Status     Status         `json:"status"` // ok, or failed with Reason
	Reason     string         `json:"reason"`
	Requests   int64          `json:"requests"`
	GOMAXPROCS int            `json:"gomaxprocs"`
	Runtime    RuntimeFigures `json:"runtime"`
}

// ReadDriverResult reads the result.json of the run folder dir as untrusted
// input (no symlink followed, within its size limit). An absent file is an
// error satisfying errors.Is(err, fs.ErrNotExist); a truncated file or one
// of another format is an error naming the file.
func ReadDriverResult(dir string) (*DriverResult, error) {
	var res DriverResult
	if err := readDriverFile(dir, ResultFile, &res, &res.Format); err != nil {
		return nil, err
	}
	return &res, nil
}

// ReadServerResult reads the server.json of the run folder dir (in its
// server folder), as ReadDriverResult reads result.json.
func ReadServerResult(dir string) (*ServerResult, error) {
	var res ServerResult
	if err := readDriverFile(dir, filepath.Join(ServerDir, ServerFile), &res, &res.Format); err != nil {
		return nil, err
	}
	return &res, nil
}

// readDriverFile reads rel in dir as untrusted input (see OpenIn).
func readDriverFile(dir, rel string, v any, format *int) error {
	data, err := ReadFileIn(dir, rel)
	if err != nil {
		return err
	}
	name := filepath.Base(rel)
	if err := json.Unmarshal(data, v); err != nil {
		return jsonError(name, data, err)
	}
	if *format != DriverFormat {
		return fmt.Errorf("%s: unsupported result format %d", name, *format)
	}
	return nil
}
