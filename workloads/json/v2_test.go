//go:build goexperiment.jsonv2

package main

import (
	"reflect"
	"testing"
)

const jsonv2On = true

func TestV2RoundTrip(t *testing.T) {
	want := decodeStrict(t, document)
	got := run(t, decodeV2, nil).(*Catalog)
	if !reflect.DeepEqual(*got, want) {
		t.Error("decode-v2 differs from decode")
	}
	out := run(t, encodeV2, &want).([]byte)
	if again := decodeStrict(t, out); !reflect.DeepEqual(again, want) {
		t.Error("decoding encode-v2's output gives a different Catalog")
	}
}

func BenchmarkDecodeV2(b *testing.B) { bench(b, decodeV2) }
func BenchmarkEncodeV2(b *testing.B) { bench(b, encodeV2) }
