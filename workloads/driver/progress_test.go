package driver

import (
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

func TestProgressWriterAllocs(t *testing.T) {
	w, closeW := progressWriter(t.TempDir())
	defer closeW()
	h := hdr.New(1, 3600e9, 3)
	h.RecordValue(1000)
	w(0, 1, 1, h)
	if n := testing.AllocsPerRun(100, func() { w(1, 2, 1, h) }); n != 0 {
		t.Errorf("progress write allocates %v times", n)
	}
}
