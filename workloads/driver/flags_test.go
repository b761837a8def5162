package driver

import (
	"flag"
	"io"
	"testing"
	"time"
)

// TestSpinFlag checks that -spin 0 means never spin, for a workload
// (default window) and for a caller whose default is never spinning
// (httpload): Config spells never as a negative Spin, which Run keeps
// (it defaults only a zero Spin).
func TestSpinFlag(t *testing.T) {
	for _, tt := range []struct {
		initial time.Duration
		args    []string
		want    time.Duration // < 0: never
	}{
		{0, nil, DefaultSpin},
		{0, []string{"-spin", "0"}, -1},
		{0, []string{"-spin", "50us"}, 50 * time.Microsecond},
		{-1, nil, -1},
		{-1, []string{"-spin", "0"}, -1},
		{-1, []string{"-spin", "20us"}, 20 * time.Microsecond},
	} {
		c := Config{Spin: tt.initial}
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.RegisterFlags(fs)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		got := c.Spin
		if got != tt.want && !(got < 0 && tt.want < 0) {
			t.Errorf("initial %v, args %q: Spin = %v, want %v", tt.initial, tt.args, got, tt.want)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	(&Config{}).RegisterFlags(fs)
	if err := fs.Parse([]string{"-spin", "-5us"}); err == nil {
		t.Error("-spin -5us accepted")
	}
}
