//go:build goexperiment.jsonv2

package main

import "github.com/perfharness/harness/workloads/driver"

func addV2Ops(o driver.Ops) {
	o["decode-v2"] = &codecOp{f: decodeV2}
	o["encode-v2"] = &codecOp{f: encodeV2}
}

func decodeV2(doc []byte, _ *Catalog) (any, error) {
	var c Catalog
	err := v2Unmarshal(doc, &c)
	return &c, err
}

func encodeV2(_ []byte, cat *Catalog) (any, error) {
	return v2Marshal(cat)
}
