package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/perfharness/harness/harness/results"
)

// An HTTPRow is what an http cell's valid runs say besides latency: the
// answers' status codes, errors and connections, and the runtime figures
// of each process, the server's and the load client's, told apart.
type HTTPRow struct {
	Cell        string
	Runs        int    // valid runs summed
	StatusCodes string // "200: 9000, 503: 12"
	Errors      string // "timeout: 3", or "none"
	Connections string // "8 dialed, at most 8 open"
	// Server and Client are "GC pause P99 …, peak RSS …, … allocs/request".
	Server, Client string
}

// httpRows summarizes the http cells (medians over the valid runs).
func (m *Model) httpRows() []HTTPRow {
	var out []HTTPRow
	for _, c := range m.Run.Cells {
		if c.Kind != "http" {
			continue
		}
		row := HTTPRow{Cell: c.ID}
		codes, errs := map[string]int64{}, map[string]int64{}
		var dialed, maxOpen int64
		var srv, cli []results.RuntimeFigures
		var srvN, cliN []int64
		for _, r := range c.Runs {
			if !r.Valid || r.Result == nil {
				continue
			}
			row.Runs++
			if op := r.Result.OpReport; op != nil {
				for k, v := range op.StatusCodes {
					codes[k] += v
				}
				for k, v := range op.Errors {
					errs[k] += v
				}
				dialed += op.ConnectionsDialed
				maxOpen = max(maxOpen, op.MaxConnections)
			}
			cli = append(cli, r.Result.Runtime)
			cliN = append(cliN, r.Result.Completed)
			if s := r.Result.Server; s != nil {
				srv = append(srv, s.Runtime)
				srvN = append(srvN, s.Requests)
			}
		}
		if row.Runs == 0 {
			continue
		}
		row.StatusCodes = countList(codes)
		row.Errors = countList(errs)
		if row.Errors == "" {
			row.Errors = "none"
		}
		row.Connections = fmt.Sprintf("%d dialed over %d runs, at most %d open", dialed, row.Runs, maxOpen)
		row.Server = figures(srv, srvN, "request")
		row.Client = figures(cli, cliN, "request sent")
		out = append(out, row)
	}
	return out
}

func countList(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+": "+strconv.FormatInt(m[k], 10))
	}
	return strings.Join(parts, ", ")
}

// figures renders a process's runtime figures over the runs: medians of
// GC pause P99 and peak RSS, and allocations per request.
func figures(fs []results.RuntimeFigures, n []int64, per string) string {
	if len(fs) == 0 {
		return "not recorded"
	}
	med := func(get func(results.RuntimeFigures, int) float64) float64 {
		var vs []float64
		for i, f := range fs {
			if v := get(f, i); !math.IsNaN(v) {
				vs = append(vs, v)
			}
		}
		return results.Median(vs)
	}
	pause := med(func(f results.RuntimeFigures, _ int) float64 { return float64(f.GCPauseP99Ns) })
	rss := med(func(f results.RuntimeFigures, _ int) float64 { return float64(f.PeakRSSB) })
	allocs := med(func(f results.RuntimeFigures, i int) float64 {
		if n[i] <= 0 {
			return math.NaN()
		}
		return float64(f.AllocObjects) / float64(n[i])
	})
	return fmt.Sprintf("GC pause P99 %s, peak RSS %s, %s allocs/%s", fmtValue("ns", pause), fmtValue("B", rss), fmtValue("", allocs), per)
}
