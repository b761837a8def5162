package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestH1Request(t *testing.T) {
	for _, tt := range []struct {
		o    options
		want string
		err  string
	}{
		{o: options{url: "http://127.0.0.1:8080/a/b?q=1", method: "GET"},
			want: "GET /a/b?q=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: httpload\r\n\r\n"},
		{o: options{url: "http://localhost/", method: "POST", body: "ping", headers: []string{"X-A: 1", "Host: api.test", "User-Agent: me"}},
			want: "POST / HTTP/1.1\r\nHost: api.test\r\nX-A: 1\r\nUser-Agent: me\r\nContent-Length: 4\r\n\r\nping"},
		{o: options{url: "http://[::1]:9/x", method: "PUT"},
			want: "PUT /x HTTP/1.1\r\nHost: [::1]:9\r\nUser-Agent: httpload\r\nContent-Length: 0\r\n\r\n"},
		{o: options{url: "http://127.0.0.1/", method: "GE T"}, err: "not a valid HTTP method"},
		{o: options{url: "http://127.0.0.1/", method: "GET", headers: []string{"X: a\r\nEvil: 1"}}, err: "not a valid header field"},
		{o: options{url: "http://127.0.0.1/", method: "GET", headers: []string{"Bad Name: 1"}}, err: "not a valid header field"},
		{o: options{url: "http://127.0.0.1/", method: "POST", headers: []string{"Content-Length: 9"}}, err: "frames the body itself"},
	} {
		u, err := url.Parse(tt.o.url)
		if err != nil {
			t.Fatal(err)
		}
		c, err := newH1Client(u, tt.o, new(atomic.Uint64))
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%+v: error %v; want one mentioning %q", tt.o, err, tt.err)
			}
		case err != nil:
			t.Errorf("%+v: %v", tt.o, err)
		case string(c.req) != tt.want:
			t.Errorf("%+v: request\n%q\nwant\n%q", tt.o, c.req, tt.want)
		}
	}
}

// rawServer accepts connections and hands each to serve; it counts the
// connections open at once.
type rawServer struct {
	ln            net.Listener
	open, maxOpen atomic.Int64
	conns         atomic.Int64
	wg            sync.WaitGroup
}

func newRawServer(t *testing.T, serve func(c net.Conn, br *bufio.Reader)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			n := s.open.Add(1)
			for m := s.maxOpen.Load(); n > m && !s.maxOpen.CompareAndSwap(m, n); m = s.maxOpen.Load() {
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer s.open.Add(-1)
				defer c.Close()
				serve(c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *rawServer) client(t *testing.T, o options) *h1Client {
	t.Helper()
	u, _ := url.Parse("http://" + s.ln.Addr().String() + "/")
	if o.method == "" {
		o.method = "GET"
	}
	if o.timeout == 0 {
		o.timeout = 5 * time.Second
	}
	c, err := newH1Client(u, o, new(atomic.Uint64))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)
	return c
}

// answer reads requests and answers each with resp, n times at most (0:
// until the client closes).
func answer(resp string, n int) func(net.Conn, *bufio.Reader) {
	return func(c net.Conn, br *bufio.Reader) {
		for i := 0; n == 0 || i < n; i++ {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			if _, err := io.WriteString(c, resp); err != nil {
				return
			}
		}
	}
}

const okResp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

// A server that closes a kept-alive connection after one answer, without
// saying so (an idle timeout racing the next request): GET goes again on a
// new connection, as with net/http; POST, which may have been processed,
// does not.
func TestH1StaleConnection(t *testing.T) {
	s := newRawServer(t, answer(okResp, 1))
	c := s.client(t, options{conns: 1})
	ctx := context.Background()
	for i := range 5 {
		if code, err := c.do(ctx); code != 200 || err != nil {
			t.Fatalf("request %d: %d, %v", i, code, err)
		}
	}
	if c.retried() == 0 || s.conns.Load() < 5 || c.dials.Load() != uint64(s.conns.Load()) {
		t.Errorf("retried %d, server saw %d connections, client dialed %d; want retries, ≥ 5 connections, dials = connections",
			c.retried(), s.conns.Load(), c.dials.Load())
	}

	p := s.client(t, options{conns: 1, method: "POST"})
	var failed int
	for range 5 {
		if _, err := p.do(ctx); err != nil {
			failed++
			if k := errKind(err); k != "connection-reset" {
				t.Errorf("POST on a closed connection: %v (kind %s); want connection-reset", err, k)
			}
		}
	}
	if failed == 0 || p.retried() != 0 {
		t.Errorf("POST: %d of 5 failed, %d retried; want failures and no retry", failed, p.retried())
	}
}

// Connection: close is honoured: the next request dials afresh.
func TestH1ConnectionClose(t *testing.T) {
	s := newRawServer(t, answer("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 1))
	c := s.client(t, options{conns: 4})
	for i := range 3 {
		if code, err := c.do(context.Background()); code != 200 || err != nil {
			t.Fatalf("request %d: %d, %v", i, code, err)
		}
	}
	if c.dials.Load() != 3 || c.retried() != 0 {
		t.Errorf("dialed %d, retried %d; want 3 dials and no retries", c.dials.Load(), c.retried())
	}
}

// More callers than connections wait for one: the pool never grows past
// its bound.
func TestH1PoolBound(t *testing.T) {
	s := newRawServer(t, func(c net.Conn, br *bufio.Reader) {
		answer(okResp, 0)(&slowConn{Conn: c}, br)
	})
	c := s.client(t, options{conns: 3})
	var wg sync.WaitGroup
	var fails atomic.Int64
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if code, err := c.do(context.Background()); code != 200 || err != nil {
					fails.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if fails.Load() != 0 || s.maxOpen.Load() > 3 || c.dials.Load() > 3 {
		t.Errorf("%d failures, %d connections open at once, %d dialed; want 0 and at most 3", fails.Load(), s.maxOpen.Load(), c.dials.Load())
	}
}

// A slowConn answers after a pause, so that callers pile up.
type slowConn struct{ net.Conn }

func (c *slowConn) Write(b []byte) (int, error) {
	time.Sleep(2 * time.Millisecond)
	return c.Conn.Write(b)
}

func TestH1Timeout(t *testing.T) {
	s := newRawServer(t, func(c net.Conn, br *bufio.Reader) { io.Copy(io.Discard, br) }) // never answers
	c := s.client(t, options{conns: 1, timeout: 50 * time.Millisecond})
	t0 := time.Now()
	_, err := c.do(context.Background())
	if errKind(err) != "timeout" || time.Since(t0) > 2*time.Second {
		t.Errorf("after %v: %v (kind %s); want a timeout after about 50ms", time.Since(t0), err, errKind(err))
	}
}

// Cancelling the run's context ends the requests in flight at once.
func TestH1Cancel(t *testing.T) {
	s := newRawServer(t, func(c net.Conn, br *bufio.Reader) { io.Copy(io.Discard, br) })
	c := s.client(t, options{conns: 1})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := c.do(ctx)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Error("request survived the cancel")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("request still running 2s after the cancel")
	}
	if _, err := c.do(ctx); !errors.Is(err, errClientClosed) {
		t.Errorf("request after the cancel: %v; want %v", err, errClientClosed)
	}
}

// A round trip on a kept-alive connection allocates nothing.
func TestH1RoundTripAllocs(t *testing.T) {
	fc := &fakeConn{resp: []byte(okResp)}
	conn := &h1Conn{nc: fc, rr: newRespReader(fc, 4096)}
	req := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	allocs := testing.AllocsPerRun(200, func() {
		if _, _, err := conn.roundTrip(req, false, time.Second); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per round trip; want 0", allocs)
	}
}

// A fakeConn answers every write with resp.
type fakeConn struct {
	net.Conn
	resp, pending []byte
}

func (c *fakeConn) Write(b []byte) (int, error) { c.pending = c.resp; return len(b), nil }
func (c *fakeConn) Read(b []byte) (int, error) {
	if len(c.pending) == 0 {
		return 0, io.EOF
	}
	n := copy(b, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}
func (c *fakeConn) SetDeadline(time.Time) error { return nil }

// BenchmarkRoundTrip is h1's own cost per request, the network left out:
// serializing nothing, parsing a small chunked and a Content-Length
// response.
func BenchmarkRoundTrip(b *testing.B) {
	for _, resp := range []string{okResp, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nDate: Mon, 01 Jan 2026 00:00:00 GMT\r\n\r\n1a\r\n{\"id\":42,\"name\":\"item 42\"}\r\n0\r\n\r\n"} {
		name := "content-length"
		if strings.Contains(resp, "chunked") {
			name = "chunked"
		}
		b.Run(name, func(b *testing.B) {
			fc := &fakeConn{resp: []byte(resp)}
			conn := &h1Conn{nc: fc, rr: newRespReader(fc, 4096)}
			req := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			b.ReportAllocs()
			for range b.N {
				if _, _, err := conn.roundTrip(req, false, time.Second); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
