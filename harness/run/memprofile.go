package run

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/perfharness/harness/harness/results"
)

// A go test binary writes one memory profile (-test.memprofile), and it is
// the allocs profile. The spec's heap and allocs kinds are the same
// records of the runtime's memory profile and differ only in the sample
// type pprof shows by default: allocs names alloc_space, heap names none
// (pprof then shows inuse_space). So the run writes what the spec asked
// for: allocs.pprof as go test wrote it, heap.pprof as the same profile
// without its default sample type.

const (
	allocsProfile = "allocs.pprof"
	heapProfile   = "heap.pprof"
)

// profileDefaultSampleType is the field number of default_sample_type in
// pprof's profile.proto (an index into the string table).
const profileDefaultSampleType = 14

// memProfiles turns go test's allocs.pprof in dir into the kinds asked
// for: heap.pprof when heap is wanted, and allocs.pprof kept only when
// allocs is.
func memProfiles(dir string, heap, allocs bool) error {
	if !heap {
		return nil
	}
	src := filepath.Join(dir, allocsProfile)
	gz, err := results.ReadLimited(src)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // go test writes none when no benchmark ran
		}
		return err
	}
	data, err := heapFromAllocs(gz)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	if err := results.WriteFileAtomic(filepath.Join(dir, heapProfile), data); err != nil {
		return err
	}
	if !allocs {
		return os.Remove(src)
	}
	return nil
}

// heapFromAllocs returns the gzipped profile gz without its top-level
// default_sample_type field, the rest byte for byte.
func heapFromAllocs(gz []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(io.LimitReader(zr, results.MaxProfileData+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > results.MaxProfileData {
		return nil, fmt.Errorf("profile larger than %d bytes decompressed", results.MaxProfileData)
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		start := i
		key, n := binary.Uvarint(raw[i:])
		if n <= 0 {
			return nil, fmt.Errorf("bad field key at byte %d", i)
		}
		i += n
		field, wire := key>>3, key&7
		switch wire {
		case 0: // varint
			if _, n = binary.Uvarint(raw[i:]); n <= 0 {
				return nil, fmt.Errorf("bad varint at byte %d", i)
			}
			i += n
		case 1: // 64-bit
			i += 8
		case 2: // length-delimited
			l, n := binary.Uvarint(raw[i:])
			if n <= 0 || l > uint64(len(raw)-i-n) {
				return nil, fmt.Errorf("bad length at byte %d", i)
			}
			i += n + int(l)
		case 5: // 32-bit
			i += 4
		default:
			return nil, fmt.Errorf("wire type %d at byte %d", wire, start)
		}
		if i > len(raw) {
			return nil, fmt.Errorf("field %d cut short", field)
		}
		if field == profileDefaultSampleType && wire == 0 {
			continue
		}
		out = append(out, raw[start:i]...)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(out); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
