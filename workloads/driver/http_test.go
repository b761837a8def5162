package driver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeRefusesNonLoopback(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-listen", "0.0.0.0:0", "-out", t.TempDir()}, "is not a loopback address"},
		{[]string{"-listen", ":0", "-out", t.TempDir()}, "is not a loopback address"},
		{[]string{"-listen", "127.0.0.1:0"}, "-out: required"},
	} {
		var errb bytes.Buffer
		code := ServeCommand(context.Background(), http.NotFoundHandler(), tt.args, io.Discard, &errb)
		if code != ExitUsage || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d mentioning %q", tt.args, code, errb.String(), ExitUsage, tt.want)
		}
	}
}

// A server stopped before its window was started says so in server.json;
// the control endpoints themselves are exercised by httpload's tests.
func TestServeWithoutWindow(t *testing.T) {
	dir := t.TempDir()
	addrFile := filepath.Join(dir, "addr")
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan int)
	go func() {
		done <- ServeCommand(ctx, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "x") }),
			[]string{"-addr-file", addrFile, "-out", dir}, io.Discard, io.Discard)
	}()
	var addr []byte
	for i := 0; i < 500 && len(addr) == 0; i++ {
		time.Sleep(10 * time.Millisecond)
		addr, _ = os.ReadFile(addrFile)
	}
	resp, err := http.Get("http://" + string(addr) + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel(context.Canceled)
	if code := <-done; code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	b, err := os.ReadFile(filepath.Join(dir, "server.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s ServerResult
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.Status != StatusFailed || !strings.Contains(s.Reason, "never started") || s.Addr != string(addr) {
		t.Errorf("server.json %+v; want failed: window never started", s)
	}
}
