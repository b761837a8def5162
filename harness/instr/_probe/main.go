// Command cpuprobe prints, as JSON, the CPU features Go's runtime detected
// at start-up, by the names GODEBUG's cpu.X settings use. The harness builds
// it with each toolchain of a spec and runs it natively and under valgrind,
// to see which features valgrind's virtual CPU hides from Go (and which it
// advertises but the host cannot run).
//
// It reads internal/cpu's option table, the list GODEBUG cpu.X=off acts on,
// so it sees exactly what that toolchain's runtime and standard library
// see; it needs -ldflags=-checklinkname=0 to link.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	_ "unsafe" // for go:linkname
)

// option mirrors internal/cpu.option (unchanged since Go 1.12).
type option struct {
	Name      string
	Feature   *bool
	Specified bool
	Enable    bool
}

//go:linkname options internal/cpu.options
var options []option

func main() {
	out := struct {
		Go       string          `json:"go"`
		GOARCH   string          `json:"goarch"`
		Features map[string]bool `json:"features"`
	}{runtime.Version(), runtime.GOARCH, map[string]bool{}}
	for _, o := range options {
		if o.Name == "" || o.Feature == nil || len(o.Name) > 32 {
			fmt.Fprintf(os.Stderr, "cpuprobe: internal/cpu's option table is not laid out as expected (%d entries)\n", len(options))
			os.Exit(1)
		}
		out.Features[o.Name] = *o.Feature
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "cpuprobe:", err)
		os.Exit(1)
	}
}
