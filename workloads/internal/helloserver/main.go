// Command helloserver is a minimal server workload for checking load
// clients: it answers every request with a short body.
package main

import (
	"io"
	"net/http"

	"github.com/perfharness/harness/workloads/driver"
)

func main() {
	driver.ServeHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "hello\n")
	}))
}
