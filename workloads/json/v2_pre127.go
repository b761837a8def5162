//go:build goexperiment.jsonv2 && !go1.27

package main

import jsonv2 "encoding/json/v2"

// Before go1.27, encoding/json/v2 exists only under the experiment and has
// no API version; v2_go127.go holds the same two calls for later toolchains.

func v2Unmarshal(in []byte, out any) error { return jsonv2.Unmarshal(in, out) }
func v2Marshal(in any) ([]byte, error)     { return jsonv2.Marshal(in) }
