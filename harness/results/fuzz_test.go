package results

import (
	"encoding/json"
	"testing"
)

// FuzzParseManifest: no input makes the manifest reader panic, errors name
// the file, and whatever it accepts survives a round trip unchanged.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"format": 1, "run_id": "r", "cells": [{"id": "a", "dir": "cells/a", "runs": [{"index": 1, "status": "ok", "dir": "cells/a/run-1"}]}]}`))
	f.Add([]byte(`{"format": 2}`))
	f.Add([]byte(`{"format": 1, "run_id": "r", "cells": [null]}`))
	f.Add([]byte(`{"format": 1, "run_id": "r", "cells": [{"id": "a", "dir": "../x"}]}`))
	f.Add([]byte(`{"format": 1, "run_id": "r", "host": {"features": ["ADX"]}, "builds": [{"key": "k", "settings": {"a": "b"}}]}`))
	f.Add([]byte(`{"format": 1, "run_id`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest("m.json", data)
		if err != nil {
			if len(err.Error()) < len("m.json") || err.Error()[:6] != "m.json" {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := ParseManifest("m.json", again)
		if err != nil {
			t.Fatalf("accepted manifest does not re-parse: %v\n%s", err, again)
		}
		b1, _ := json.Marshal(m2)
		if string(b1) != string(again) {
			t.Fatalf("round trip changed the manifest:\n%s\n%s", again, b1)
		}
	})
}
