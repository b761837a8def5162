// Command server is a test-only HTTP server workload that misbehaves on
// request of its FAULT environment variable: "slowstart" sleeps before
// listening for FAULT_DELAY (default 1h), "errors" answers 500 for the
// first FAULT_DELAY and then 200, "crash" exits with status 3 after
// FAULT_DELAY. Without FAULT it is a healthy echo of the path.
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/perfharness/harness/workloads/driver"
)

func main() {
	delay := time.Hour
	if d, err := time.ParseDuration(os.Getenv("FAULT_DELAY")); err == nil {
		delay = d
	}
	start := time.Now()
	switch os.Getenv("FAULT") {
	case "slowstart":
		time.Sleep(delay)
	case "crash":
		go func() {
			time.Sleep(delay)
			fmt.Fprintln(os.Stderr, "fault server: exiting with status 3")
			os.Exit(3)
		}()
	}
	errorsFor := time.Duration(0)
	if os.Getenv("FAULT") == "errors" {
		errorsFor = delay
	}
	driver.ServeHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if time.Since(start) < errorsFor {
			http.Error(w, "fault server: failing on purpose", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "%s\n", r.URL.Path)
	}))
}
