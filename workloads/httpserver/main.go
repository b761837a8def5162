// Command httpserver is a server workload for the http kind: a small JSON
// API served with net/http and driver.ServeHTTP, loaded by httpload. It
// measures the standard library's HTTP/1.1 server path (connection
// handling, request parsing, ServeMux pattern routing, response writing)
// with the small JSON encoding and decoding most API handlers do, so the
// server's own code is a thin, known share of each request:
//
//	GET  /item/{id}  an Item built from id (a decimal integer from 1 to
//	                 maxItemID): about 300 bytes of JSON; any other id is
//	                 404 with a JSON error
//	POST /echo       decodes the JSON request body (at most 1 MiB; numbers
//	                 kept exact) and writes it back re-encoded; 400 for
//	                 invalid JSON, 413 for a larger body
//	GET  /health     {"status":"ok"}
//
// Items are computed from the id, not stored, so there is no shared state
// and no lock between requests. A suite typically loads GET /item/42 (or a
// few ids) at a fixed rate; POST /echo with a body of a chosen size
// measures request-body decoding.
package main

import "github.com/perfharness/harness/workloads/driver"

func main() {
	driver.ServeHTTP(newHandler())
}
