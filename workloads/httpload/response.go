package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// A respReader reads HTTP/1.x responses from a connection through one
// reused buffer, discarding bodies as they arrive: it keeps the status and
// what the connection's reuse depends on, nothing else, and allocates
// nothing per response (the buffer grows only for a header block larger
// than it).
//
// It reads what a load client needs and refuses the rest: a status line
// "HTTP/1.0" or "HTTP/1.1", three digits and an optional reason; header
// fields "name: value" with lines ended by CRLF or LF; a body framed by
// Transfer-Encoding: chunked (which wins over Content-Length, as RFC 9112
// says, and which HTTP/1.0 does not have), by Content-Length, or by the connection's end; no body for HEAD,
// 1xx, 204 and 304; 1xx interim responses (100 Continue, 103 Early Hints)
// skipped. Obsolete line folding, conflicting Content-Lengths, transfer
// codings other than chunked and 101 Switching Protocols are errors, as
// they are for net/http.
type respReader struct {
	rd        io.Reader
	buf       []byte
	r, w      int // buf[r:w] is read but not consumed
	maxHeader int // bytes of a header block (or chunk line, or trailers) at most
	eof       bool
	got       int64 // bytes read from rd
}

// A response is what respReader keeps of one.
type response struct {
	status  int
	close   bool  // the connection cannot carry another request
	bodyLen int64 // body bytes read (chunked: the decoded length)
}

// errProtocol marks a response the reader cannot make sense of.
var errProtocol = errors.New("malformed HTTP response")

func protoErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errProtocol, fmt.Sprintf(format, args...))
}

const defaultMaxHeader = 1 << 20

func newRespReader(rd io.Reader, size int) *respReader {
	return &respReader{rd: rd, buf: make([]byte, size), maxHeader: defaultMaxHeader}
}

// reset forgets buffered bytes, for a new connection.
func (rr *respReader) reset(rd io.Reader) { rr.rd, rr.r, rr.w, rr.eof = rd, 0, 0, false }

// fill reads more bytes into the buffer, moving the unconsumed ones to its
// front, or growing it when they fill it and it is below maxHeader.
func (rr *respReader) fill() error {
	if rr.eof {
		return io.ErrUnexpectedEOF
	}
	if rr.r > 0 {
		n := copy(rr.buf, rr.buf[rr.r:rr.w])
		rr.r, rr.w = 0, n
	}
	if rr.w == len(rr.buf) {
		if len(rr.buf) >= rr.maxHeader {
			return protoErr("header block or chunk line longer than %d bytes", rr.maxHeader)
		}
		nb := make([]byte, min(2*len(rr.buf), rr.maxHeader))
		copy(nb, rr.buf[:rr.w])
		rr.buf = nb
	}
	for {
		n, err := rr.rd.Read(rr.buf[rr.w:])
		rr.w += n
		rr.got += int64(n)
		if n > 0 {
			if err == io.EOF {
				rr.eof = true
			}
			return nil
		}
		if err == io.EOF {
			rr.eof = true
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
	}
}

// read reads one response to a request (HEAD when head is set), skipping
// 1xx interim responses, and consumes its body. started reports whether
// any byte of the response arrived: a keep-alive connection the server
// closed before answering fails with started false, and the request may be
// sent again on a new one.
func (rr *respReader) read(head bool) (resp response, started bool, err error) {
	got0, buffered := rr.got, rr.w > rr.r
	for {
		resp, err = rr.readHeader(head)
		if err != nil {
			return resp, buffered || rr.got > got0, err
		}
		if resp.status >= 200 {
			return resp, true, nil
		}
	}
}

// readHeader reads a status line and header block and then the body.
func (rr *respReader) readHeader(head bool) (response, error) {
	var resp response
	end, err := rr.headerEnd()
	if err != nil {
		return resp, err
	}
	block := rr.buf[rr.r:end]
	rr.r = end
	line, rest := nextLine(block)
	minor, status, err := parseStatusLine(line)
	if err != nil {
		return resp, err
	}
	resp.status = status
	var (
		contentLength          int64 = -1
		chunked                bool
		sawClose, sawKeepAlive bool
	)
	for len(rest) > 0 {
		line, rest = nextLine(rest)
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return resp, protoErr("obsolete line folding in header")
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok || len(name) == 0 || !isToken(name) {
			return resp, protoErr("bad header line %q", clip(line))
		}
		value = trimOWS(value)
		switch {
		case equalFold(name, "content-length"):
			n, ok := parseContentLength(value)
			if !ok {
				return resp, protoErr("bad Content-Length %q", clip(value))
			}
			if contentLength >= 0 && n != contentLength {
				return resp, protoErr("conflicting Content-Length headers")
			}
			contentLength = n
		case equalFold(name, "transfer-encoding") && minor == 1: // HTTP/1.0 has no transfer codings
			if chunked || !equalFold(value, "chunked") {
				return resp, protoErr("unsupported Transfer-Encoding %q", clip(value))
			}
			chunked = true
		case equalFold(name, "connection"):
			forEachToken(value, func(t []byte) {
				switch {
				case equalFold(t, "close"):
					sawClose = true
				case equalFold(t, "keep-alive"):
					sawKeepAlive = true
				}
			})
		}
	}
	// HTTP/1.0 closes unless asked to keep alive.
	resp.close = sawClose || (minor == 0 && !sawKeepAlive)
	switch {
	case status == 101:
		return resp, protoErr("101 Switching Protocols is not supported")
	case status < 200:
		return resp, nil // interim: no body
	case head || status == 204 || status == 304:
		return resp, nil
	case chunked:
		resp.bodyLen, err = rr.discardChunked()
	case contentLength >= 0:
		resp.bodyLen, err = rr.discard(contentLength)
	default:
		resp.close = true // the body runs to the connection's end
		resp.bodyLen, err = rr.discardToEOF()
	}
	return resp, err
}

// headerEnd returns the index just past the blank line ending the header
// block that starts at rr.r, reading as needed.
func (rr *respReader) headerEnd() (int, error) {
	from := rr.r
	for {
		if i := blankLine(rr.buf[from:rr.w]); i >= 0 {
			return from + i, nil
		}
		// Rescan the last 3 bytes: the blank line may straddle the read.
		seen := max(rr.w-rr.r-3, 0)
		if err := rr.fill(); err != nil {
			return 0, err
		}
		from = rr.r + seen
	}
}

// blankLine returns the index just past the first "\n\n" or "\n\r\n" in b,
// or -1.
func blankLine(b []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		i += j + 1
		switch {
		case i < len(b) && b[i] == '\n':
			return i + 1
		case i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n':
			return i + 2
		}
	}
}

// nextLine splits b after its first line, which it returns without its
// CRLF or LF.
func nextLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil
	}
	line, rest = b[:i], b[i+1:]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest
}

// parseStatusLine reads "HTTP/1.x NNN[ reason]".
func parseStatusLine(line []byte) (minor, status int, err error) {
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || line[8] != ' ' || (len(line) > 12 && line[12] != ' ') {
		return 0, 0, protoErr("bad status line %q", clip(line))
	}
	switch line[7] {
	case '0':
		minor = 0
	case '1':
		minor = 1
	default:
		return 0, 0, protoErr("unsupported protocol version in %q", clip(line))
	}
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return 0, 0, protoErr("bad status code in %q", clip(line))
		}
		status = status*10 + int(c-'0')
	}
	if status < 100 {
		return 0, 0, protoErr("bad status code in %q", clip(line))
	}
	return minor, status, nil
}

// discard consumes n body bytes.
func (rr *respReader) discard(n int64) (int64, error) {
	want := n
	for n > 0 {
		if rr.r == rr.w {
			if err := rr.fillBody(); err != nil {
				return want - n, err
			}
		}
		k := min(int64(rr.w-rr.r), n)
		rr.r += int(k)
		n -= k
	}
	return want, nil
}

// fillBody reads into the empty buffer from its start; a body never grows it.
func (rr *respReader) fillBody() error {
	rr.r, rr.w = 0, 0
	return rr.fill()
}

func (rr *respReader) discardToEOF() (int64, error) {
	var n int64
	for {
		n += int64(rr.w - rr.r)
		rr.r = rr.w
		if rr.eof {
			return n, nil
		}
		if err := rr.fillBody(); err != nil && !rr.eof {
			return n, err
		}
	}
}

// maxChunkLine bounds a chunk-size line (extensions included).
const maxChunkLine = 4096

// discardChunked consumes a chunked body and its trailers.
func (rr *respReader) discardChunked() (int64, error) {
	var total int64
	for {
		line, err := rr.line(maxChunkLine)
		if err != nil {
			return total, err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		size, ok := parseHex(trimOWS(line))
		if !ok {
			return total, protoErr("bad chunk size %q", clip(line))
		}
		if size == 0 {
			break
		}
		if total > maxBody-size {
			return total, protoErr("chunked body longer than %d bytes", int64(maxBody))
		}
		if _, err := rr.discard(size); err != nil {
			return total, err
		}
		total += size
		crlf, err := rr.line(2)
		if err != nil {
			return total, err
		}
		if len(crlf) != 0 {
			return total, protoErr("chunk data not followed by CRLF")
		}
	}
	// Trailers, up to the blank line.
	budget := rr.maxHeader
	for {
		line, err := rr.line(budget)
		if err != nil {
			return total, err
		}
		if len(line) == 0 {
			return total, nil
		}
		budget -= len(line) + 2
		if budget <= 0 {
			return total, protoErr("trailers longer than %d bytes", rr.maxHeader)
		}
	}
}

// maxBody bounds a chunked body's total length so that it stays an int64.
const maxBody = 1 << 62

// line returns the next line, without its CRLF or LF, of at most limit
// bytes.
func (rr *respReader) line(limit int) ([]byte, error) {
	from := rr.r
	for {
		if i := bytes.IndexByte(rr.buf[from:rr.w], '\n'); i >= 0 {
			end := from + i
			line := rr.buf[rr.r:end]
			if len(line) > limit+1 {
				return nil, protoErr("line longer than %d bytes", limit)
			}
			rr.r = end + 1
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			return line, nil
		}
		if rr.w-rr.r > limit+1 {
			return nil, protoErr("line longer than %d bytes", limit)
		}
		seen := rr.w - rr.r
		if err := rr.fill(); err != nil {
			return nil, err
		}
		from = rr.r + seen
	}
}

func parseContentLength(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func parseHex(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	return n, true
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// equalFold compares b with the lower-case ASCII s, ignoring case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// forEachToken calls f with each comma-separated element of a list value.
func forEachToken(v []byte, f func([]byte)) {
	for len(v) > 0 {
		var t []byte
		t, v, _ = bytes.Cut(v, []byte{','})
		if t = trimOWS(t); len(t) > 0 {
			f(t)
		}
	}
}

// isToken reports whether b is an RFC 9110 token (a valid field name).
func isToken(b []byte) bool {
	for _, c := range b {
		if !tokenChar(c) {
			return false
		}
	}
	return len(b) > 0
}

func tokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c < 0x80 && bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) >= 0
}

// clip shortens b for an error message.
func clip(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
