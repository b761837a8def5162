package report

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"path/filepath"

	"github.com/google/pprof/profile"

	"github.com/perfharness/harness/harness/results"
)

// readProfile reads the profile rel in the folder dir as untrusted input:
// the file within its size limit, and its gzip content decompressed up to
// results.MaxProfileData (profile.Parse would inflate a gzip bomb whole).
func readProfile(dir, rel string) (*profile.Profile, error) {
	path := filepath.Join(dir, rel)
	data, err := results.ReadFileIn(dir, rel)
	if err != nil {
		return nil, err
	}
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		raw, err := io.ReadAll(io.LimitReader(zr, results.MaxProfileData+1))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(raw) > results.MaxProfileData {
			return nil, fmt.Errorf("%s: too big: the profile decompresses to more than %d MiB", path, results.MaxProfileData>>20)
		}
		data = raw
	}
	p, err := profile.ParseData(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}
