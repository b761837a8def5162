package main

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/perfharness/harness/workloads/driver"
)

// decodeStrict decodes doc into a Catalog, refusing fields Catalog lacks.
func decodeStrict(t testing.TB, doc []byte) Catalog {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	var c Catalog
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("decoding: %v", err)
	}
	return c
}

func run(t *testing.T, f codec, cat *Catalog) any {
	t.Helper()
	out, err := f(document, cat)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDecodeRoundTrip(t *testing.T) {
	want := decodeStrict(t, document) // every field of the document is typed
	got := run(t, decodeV1, nil).(*Catalog)
	if !reflect.DeepEqual(*got, want) {
		t.Fatal("decode differs from a strict decode")
	}
	// Re-encoding the typed value gives the document back byte for byte:
	// nothing was lost or reordered.
	if enc := encodeDocument(*got); !bytes.Equal(enc, document) {
		t.Errorf("re-encoding the decoded Catalog does not give document.json back:\n%s", enc)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	cat := decodeStrict(t, document)
	out := run(t, encodeV1, &cat).([]byte)
	if again := decodeStrict(t, out); !reflect.DeepEqual(again, cat) {
		t.Error("decoding encode's output gives a different Catalog")
	}
	// encode escapes <, > and & as \u003c...; otherwise the bytes match.
	var compact bytes.Buffer
	json.HTMLEscape(&compact, document)
	if !bytes.Equal(append(out, '\n'), compact.Bytes()) {
		t.Errorf("encode output differs from the HTML-escaped document:\n%s", out)
	}
}

func TestDecodeAnyRoundTrip(t *testing.T) {
	v := run(t, decodeAny, nil)
	m, ok := v.(map[string]any)
	if !ok || len(m["products"].([]any)) != 13 || m["notice"] != nil {
		t.Fatalf("decode-any gave %T with %v products; want an object with 13", v, m["products"])
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := decodeStrict(t, b), decodeStrict(t, document); !reflect.DeepEqual(got, want) {
		t.Error("the any value, re-encoded and decoded as a Catalog, differs from the document")
	}
}

func TestOps(t *testing.T) {
	o := ops()
	if _, ok := o["decode-v2"]; ok != jsonv2On {
		t.Errorf("decode-v2 registered = %v, but GOEXPERIMENT=jsonv2 is %v in this build", ok, jsonv2On)
	}
	for name, op := range o {
		if err := op.Setup(context.Background(), driver.NewParams(nil, 1)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for range 3 {
			if err := op.Do(context.Background()); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		op.Teardown()
	}
}

func bench(b *testing.B, f codec) {
	var cat Catalog
	if err := json.Unmarshal(document, &cat); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(document)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f(document, &cat); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B)    { bench(b, decodeV1) }
func BenchmarkDecodeAny(b *testing.B) { bench(b, decodeAny) }
func BenchmarkEncode(b *testing.B)    { bench(b, encodeV1) }
