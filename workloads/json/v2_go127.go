//go:build goexperiment.jsonv2 && go1.27

package main

import jsonv2 "encoding/json/v2"

// From go1.27 on, encoding/json/v2 is go1.27 API: this //go:build line
// raises the file's language version to match, which go vet checks.

func v2Unmarshal(in []byte, out any) error { return jsonv2.Unmarshal(in, out) }
func v2Marshal(in any) ([]byte, error)     { return jsonv2.Marshal(in) }
