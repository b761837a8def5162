package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// An h1Client sends one fixed HTTP/1.1 request over a bounded pool of
// keep-alive connections. The request is serialized once; each connection
// keeps one read buffer; a round trip is a deadline, a write and reads,
// with no allocation (respReader). It speaks plain HTTP/1.1 to one address:
// TLS, HTTP/2 and proxies are net/http's (-client net/http).
//
// Note: at 10k–20k req/s on two cores, every microsecond of client CPU is
// one the server under test does not get. net/http's client costs about
// 3× wrk2's CPU per request here (request and header maps, a goroutine
// pair per connection, a channel hand-off per round trip); this client does
// the round trip on the calling goroutine, like wrk2's event loop does on
// its thread.
type h1Client struct {
	addr       string
	req        []byte
	head       bool
	replayable bool // a request the server never answered may be sent again
	timeout    time.Duration
	maxConns   int
	bufSize    int
	dials      *atomic.Uint64
	retries    atomic.Uint64

	mu     sync.Mutex
	freed  sync.Cond // signalled when a connection goes idle or is dropped
	idle   []*h1Conn // a stack: the connection used last is reused first
	all    map[*h1Conn]struct{}
	closed bool
	once   sync.Once
}

// An h1Conn is one connection with its response reader.
type h1Conn struct {
	nc     net.Conn
	rr     *respReader
	reused bool // has carried a complete exchange
}

var _ client = (*h1Client)(nil)

// newH1Client serializes the request once; it refuses what cannot be put
// on the wire safely (a method or header name that is not a token, a
// value with a line break).
func newH1Client(u *url.URL, o options, dials *atomic.Uint64) (*h1Client, error) {
	if !isToken([]byte(o.method)) {
		return nil, fmt.Errorf("-method %q: not a valid HTTP method", o.method)
	}
	host := u.Host
	var hdr strings.Builder
	hasUA := false
	for _, kv := range o.headers {
		k, v, _ := strings.Cut(kv, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !isToken([]byte(k)) || strings.ContainsAny(v, "\r\n\x00") {
			return nil, fmt.Errorf("-header %q: not a valid header field", kv)
		}
		switch strings.ToLower(k) {
		case "host":
			host = v
			continue
		case "content-length", "transfer-encoding":
			return nil, fmt.Errorf("-header %q: the client frames the body itself", kv)
		case "user-agent":
			hasUA = true
		}
		hdr.WriteString(k + ": " + v + "\r\n")
	}
	var b strings.Builder
	b.WriteString(o.method + " " + u.RequestURI() + " HTTP/1.1\r\nHost: " + host + "\r\n")
	if !hasUA {
		b.WriteString("User-Agent: httpload\r\n")
	}
	b.WriteString(hdr.String())
	switch o.method {
	case "GET", "HEAD", "OPTIONS", "TRACE", "DELETE", "CONNECT":
		if o.body != "" {
			b.WriteString("Content-Length: " + strconv.Itoa(len(o.body)) + "\r\n")
		}
	default: // POST, PUT, PATCH and the rest always say how long the body is
		b.WriteString("Content-Length: " + strconv.Itoa(len(o.body)) + "\r\n")
	}
	b.WriteString("\r\n" + o.body)
	c := &h1Client{
		addr: u.Host, req: []byte(b.String()), head: o.method == "HEAD",
		replayable: o.method == "GET" || o.method == "HEAD" || o.method == "OPTIONS" || o.method == "TRACE",
		timeout:    o.timeout, maxConns: max(o.conns, 1), bufSize: 4096, dials: dials,
		all: map[*h1Conn]struct{}{},
	}
	if u.Port() == "" {
		c.addr = net.JoinHostPort(u.Hostname(), "80")
	}
	c.freed.L = &c.mu
	return c, nil
}

// errClientClosed is returned once the run's context is done.
var errClientClosed = errors.New("client closed")

func (c *h1Client) do(ctx context.Context) (int, error) {
	c.once.Do(func() { context.AfterFunc(ctx, c.close) })
	conn, err := c.get(ctx)
	if err != nil {
		return 0, err
	}
	for {
		resp, started, err := conn.roundTrip(c.req, c.head, c.timeout)
		if err == nil {
			if resp.close {
				c.drop(conn)
			} else {
				conn.reused = true
				c.put(conn)
			}
			return resp.status, nil
		}
		c.drop(conn)
		if started || !conn.reused || !c.replayable || ctx.Err() != nil {
			return resp.status, err
		}
		// The server closed a kept-alive connection before answering
		// (an idle timeout): send the request again on a new one, as
		// net/http does for requests that can be replayed.
		c.retries.Add(1)
		if conn, err = c.get(ctx); err != nil {
			return 0, err
		}
	}
}

// roundTrip sends the request and reads its response.
func (conn *h1Conn) roundTrip(req []byte, head bool, timeout time.Duration) (response, bool, error) {
	if err := conn.nc.SetDeadline(time.Now().Add(timeout)); err != nil {
		return response{}, false, err
	}
	if _, err := conn.nc.Write(req); err != nil {
		return response{}, false, err
	}
	return conn.rr.read(head)
}

// get returns an idle connection, the one used last, or dials a new one
// while fewer than maxConns are open, or waits for one to be freed.
func (c *h1Client) get(ctx context.Context) (*h1Conn, error) {
	c.mu.Lock()
	for {
		if c.closed {
			c.mu.Unlock()
			return nil, errClientClosed
		}
		if n := len(c.idle); n > 0 {
			conn := c.idle[n-1]
			c.idle = c.idle[:n-1]
			c.mu.Unlock()
			return conn, nil
		}
		if len(c.all) < c.maxConns {
			break
		}
		c.freed.Wait()
	}
	conn := &h1Conn{}
	c.all[conn] = struct{}{} // reserve the slot while dialing
	c.mu.Unlock()
	c.dials.Add(1)
	d := net.Dialer{Timeout: c.timeout}
	nc, err := d.DialContext(ctx, "tcp", c.addr)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || c.closed {
		delete(c.all, conn)
		c.freed.Signal()
		if err == nil {
			nc.Close()
			err = errClientClosed
		}
		return nil, err
	}
	conn.nc, conn.rr = nc, newRespReader(nc, c.bufSize)
	return conn, nil
}

func (c *h1Client) put(conn *h1Conn) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		conn.nc.Close()
		return
	}
	c.idle = append(c.idle, conn)
	c.mu.Unlock()
	c.freed.Signal()
}

// drop closes a connection that cannot be reused and frees its slot.
func (c *h1Client) drop(conn *h1Conn) {
	conn.nc.Close()
	c.mu.Lock()
	delete(c.all, conn)
	c.mu.Unlock()
	c.freed.Signal()
}

// close closes every connection, idle or busy (a busy one's round trip
// fails), and makes get fail from now on.
func (c *h1Client) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for conn := range c.all {
		if conn.nc != nil {
			conn.nc.Close()
		}
	}
	c.idle = nil
	c.freed.Broadcast()
}

func (c *h1Client) closeIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.idle {
		conn.nc.Close()
		delete(c.all, conn)
	}
	c.idle = c.idle[:0]
	c.freed.Broadcast()
}

func (c *h1Client) retried() uint64 { return c.retries.Load() }
