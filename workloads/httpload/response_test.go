package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

func TestRespReader(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		head bool
		want []response // the responses read in turn from in
		err  string     // the error of the read after them ("" for none: in is used up)
	}{
		{name: "content-length", in: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
			want: []response{{status: 200, bodyLen: 5}}},
		{name: "two pipelined responses, LF line ends, no reason phrase", in: "HTTP/1.1 204\nDate: x\n\nHTTP/1.1 404 Not Found\r\ncontent-length:3\r\n\r\nabc",
			want: []response{{status: 204}, {status: 404, bodyLen: 3}}},
		{name: "chunked with extensions and trailers; chunked wins over Content-Length",
			in:   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n",
			want: []response{{status: 200, bodyLen: 15}}},
		{name: "HEAD: no body whatever Content-Length says", in: "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", head: true,
			want: []response{{status: 200}}},
		{name: "304 has no body", in: "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
			want: []response{{status: 304}}},
		{name: "1xx interim responses are skipped", in: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
			want: []response{{status: 201}}},
		{name: "Connection: close among other tokens", in: "HTTP/1.1 200 OK\r\nConnection: foo, Close\r\nContent-Length: 0\r\n\r\n",
			want: []response{{status: 200, close: true}}},
		{name: "HTTP/1.0 closes by default", in: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
			want: []response{{status: 200, close: true, bodyLen: 2}}},
		{name: "HTTP/1.0 keep-alive", in: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
			want: []response{{status: 200, bodyLen: 2}}},
		{name: "HTTP/1.0 has no chunked coding: the body runs to the end", in: "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
			want: []response{{status: 200, close: true, bodyLen: 5}}},
		{name: "body to the connection's end", in: "HTTP/1.1 200 OK\r\n\r\nall of this",
			want: []response{{status: 200, close: true, bodyLen: 11}}},
		{name: "same Content-Length twice is fine", in: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
			want: []response{{status: 200, bodyLen: 1}}},

		{name: "nothing at all", in: "", err: "unexpected EOF"},
		{name: "truncated header", in: "HTTP/1.1 200 OK\r\nContent-Len", err: "unexpected EOF"},
		{name: "truncated body", in: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", err: "unexpected EOF"},
		{name: "truncated chunked body", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", err: "unexpected EOF"},
		{name: "not HTTP", in: "SSH-2.0-OpenSSH\r\n\r\n", err: "bad status line"},
		{name: "HTTP/2 status line", in: "HTTP/2.0 200 OK\r\n\r\n", err: "bad status line"},
		{name: "HTTP/1.2", in: "HTTP/1.2 200 OK\r\n\r\n", err: "unsupported protocol version"},
		{name: "two-digit status", in: "HTTP/1.1 20 OK\r\n\r\n", err: "bad status line"},
		{name: "status below 100", in: "HTTP/1.1 099 X\r\n\r\n", err: "bad status code"},
		{name: "conflicting Content-Length", in: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx", err: "conflicting Content-Length"},
		{name: "negative Content-Length", in: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", err: "bad Content-Length"},
		{name: "gzip transfer coding", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", err: "unsupported Transfer-Encoding"},
		{name: "obsolete line folding", in: "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", err: "obsolete line folding"},
		{name: "header without colon", in: "HTTP/1.1 200 OK\r\nnocolon\r\n\r\n", err: "bad header line"},
		{name: "space in header name", in: "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", err: "bad header line"},
		{name: "101", in: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", err: "101 Switching Protocols"},
		{name: "bad chunk size", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", err: "bad chunk size"},
		{name: "chunk without CRLF", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n0\r\n\r\n", err: "not followed by CRLF"},
	} {
		// Whole, and one byte per Read: a parse may not depend on how
		// the bytes arrive.
		for _, split := range []bool{false, true} {
			var rd io.Reader = strings.NewReader(tt.in)
			if split {
				rd = iotest.OneByteReader(rd)
			}
			rr := newRespReader(rd, 16) // small, to exercise growing
			for i, want := range tt.want {
				got, started, err := rr.read(tt.head)
				if err != nil || got != want || !started {
					t.Errorf("%s (split %v): response %d: %+v, %v, started %v; want %+v", tt.name, split, i, got, err, started, want)
				}
			}
			_, _, err := rr.read(tt.head)
			switch {
			case tt.err == "" && !errors.Is(err, io.ErrUnexpectedEOF):
				t.Errorf("%s (split %v): read after the last response: %v; want unexpected EOF (input used up)", tt.name, split, err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("%s (split %v): error %v; want one mentioning %q", tt.name, split, err, tt.err)
			}
		}
	}
}

func TestRespReaderHeaderLimit(t *testing.T) {
	in := "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", 300) + "\r\n\r\n"
	rr := newRespReader(strings.NewReader(in), 64)
	rr.maxHeader = 256
	if _, _, err := rr.read(false); err == nil || !errors.Is(err, errProtocol) {
		t.Errorf("header block of %d bytes with maxHeader 256: %v; want a protocol error", len(in), err)
	}
}

// started tells a connection closed before any byte of the answer (a
// stale keep-alive: the request may go again) from one closed mid-answer.
func TestRespReaderStarted(t *testing.T) {
	for _, tt := range []struct {
		in      string
		started bool
	}{
		{"", false},
		{"HTTP/1.1 2", true},
	} {
		_, started, err := newRespReader(strings.NewReader(tt.in), 64).read(false)
		if err == nil || started != tt.started {
			t.Errorf("%q: started %v, err %v; want started %v and an error", tt.in, started, err, tt.started)
		}
	}
}

func TestRespReaderAllocs(t *testing.T) {
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
	rd := bytes.NewReader(resp)
	rr := newRespReader(rd, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		rd.Reset(resp)
		rr.reset(rd)
		if _, _, err := rr.read(false); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per response; want 0", allocs)
	}
}

// FuzzRespReader checks that the reader never panics or loops, and that
// when both it and net/http accept a response they agree on its status,
// body length and whether the connection stays open.
func FuzzRespReader(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\n",
		"HTTP/1.0 404 Not Found\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 200 OK\r\n\r\nto the end",
		"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
	} {
		f.Add([]byte(s), false, uint8(0))
		f.Add([]byte(s), true, uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, head bool, chunk uint8) {
		var rd io.Reader = bytes.NewReader(in)
		if chunk > 0 {
			rd = &chunkReader{b: in, n: int(chunk)}
		}
		rr := newRespReader(rd, 32)
		rr.maxHeader = 4096
		got, _, err := rr.read(head)
		if err != nil {
			return
		}
		if got.status < 200 || got.status > 999 || got.bodyLen < 0 || got.bodyLen > int64(len(in)) {
			t.Fatalf("implausible response %+v from %d bytes", got, len(in))
		}
		method := "GET"
		if head {
			method = "HEAD"
		}
		br := bufio.NewReader(bytes.NewReader(in))
		var want *http.Response
		for {
			want, err = http.ReadResponse(br, &http.Request{Method: method})
			if err != nil || want.StatusCode >= 200 {
				break
			}
		}
		if err != nil {
			return // net/http is stricter here: fine
		}
		n, err := io.Copy(io.Discard, want.Body)
		if err != nil {
			return
		}
		if want.StatusCode != got.status || n != got.bodyLen || want.Close != got.close {
			t.Fatalf("read status %d, body %d bytes, close %v; net/http: %d, %d bytes, close %v",
				got.status, got.bodyLen, got.close, want.StatusCode, n, want.Close)
		}
	})
}

// A chunkReader returns at most n bytes per Read.
type chunkReader struct {
	b []byte
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[k:]
	return k, nil
}
