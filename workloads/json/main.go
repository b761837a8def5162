// Command json is a fixed-rate workload of JSON decoding and encoding with
// the standard library, on one realistic document: document.json, a 10 KiB
// page of a product catalogue API (nested objects, arrays of objects,
// null optional fields, free-form attribute maps, text with escapes and
// non-ASCII characters, an integer above 2^52, floats). Its typed form is
// Catalog.
//
//	decode      json.Unmarshal of the document into a new Catalog
//	decode-any  json.Unmarshal into an any (maps, slices, float64s)
//	encode      json.Marshal of the decoded Catalog
//	decode-v2   encoding/json/v2 Unmarshal into a new Catalog
//	encode-v2   encoding/json/v2 Marshal of the decoded Catalog
//
// The v2 ops exist only in binaries built with GOEXPERIMENT=jsonv2, which
// also reimplements encoding/json on top of v2: comparing decode across
// that experiment measures the v1 API on the new engine, and decode-v2
// measures the new API. Both v2 ops use v2's defaults, which differ from v1
// where it matters for speed: map keys are written in no particular order
// (v1 sorts them), member names must match exactly (v1 falls back to a
// case-insensitive match), and invalid UTF-8 and duplicate names are
// errors (v1 accepts both).
//
// Every decode starts from a fresh value, as a server decoding a request
// does, so allocation is part of the cost. The same operations are go test
// benchmarks (BenchmarkDecode, ...), with throughput in MB/s of the
// document. The tests check that every op round-trips the document.
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/perfharness/harness/workloads/driver"
)

//go:embed document.json
var document []byte

func main() {
	driver.Main(ops())
}

func ops() driver.Ops {
	o := driver.Ops{
		"decode":     &codecOp{f: decodeV1},
		"decode-any": &codecOp{f: decodeAny},
		"encode":     &codecOp{f: encodeV1},
	}
	addV2Ops(o)
	return o
}

// A codec is one of the operations on document: doc is the document and
// cat its decoded form; it returns what it produced, for tests.
type codec func(doc []byte, cat *Catalog) (any, error)

func decodeV1(doc []byte, _ *Catalog) (any, error) {
	var c Catalog
	err := json.Unmarshal(doc, &c)
	return &c, err
}

func decodeAny(doc []byte, _ *Catalog) (any, error) {
	var v any
	err := json.Unmarshal(doc, &v)
	return v, err
}

func encodeV1(_ []byte, cat *Catalog) (any, error) {
	return json.Marshal(cat)
}

// A codecOp runs a codec as a driver op. Setup decodes the document once,
// for the encode ops; Do is safe for concurrent use, since codecs only read
// the document and the Catalog.
type codecOp struct {
	f   codec
	cat Catalog
}

var _ driver.Op = (*codecOp)(nil)

// Setup implements driver.Op.
func (o *codecOp) Setup(context.Context, driver.Params) error {
	o.cat = Catalog{}
	if err := json.Unmarshal(document, &o.cat); err != nil {
		return fmt.Errorf("decoding document.json: %w", err)
	}
	return nil
}

// Do implements driver.Op.
func (o *codecOp) Do(context.Context) error {
	_, err := o.f(document, &o.cat)
	return err
}

// Teardown implements driver.Op.
func (o *codecOp) Teardown() {}
