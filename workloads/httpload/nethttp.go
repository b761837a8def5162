package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// A netClient sends the request with net/http: slower per request than
// h1Client, but it is the reference client, and the one to extend for TLS,
// HTTP/2 or proxies.
type netClient struct {
	o      options
	client *http.Client
	header http.Header
	host   string
	body   []byte
}

var _ client = (*netClient)(nil)

func newNetClient(o options, dials *atomic.Uint64) *netClient {
	h := http.Header{}
	host := ""
	for _, kv := range o.headers {
		k, v, _ := strings.Cut(kv, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if strings.EqualFold(k, "host") {
			host = v // net/http takes the Host header from Request.Host only
			continue
		}
		h.Add(k, v)
	}
	dialer := &net.Dialer{Timeout: o.timeout, KeepAlive: 30 * time.Second}
	conns := max(o.conns, 1)
	return &netClient{o: o, header: h, host: host, body: []byte(o.body), client: &http.Client{
		Timeout: o.timeout,
		Transport: &http.Transport{
			Proxy: nil, // never send load through a proxy from the environment
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				return dialer.DialContext(ctx, network, addr)
			},
			// One connection per worker at most, all kept alive: the pool
			// never grows past -concurrency, so ports are not exhausted.
			MaxConnsPerHost:     conns,
			MaxIdleConnsPerHost: conns,
			MaxIdleConns:        conns,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (c *netClient) do(ctx context.Context) (int, error) {
	var body io.Reader
	if len(c.body) > 0 {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(ctx, c.o.method, c.o.url, body)
	if err != nil {
		return 0, err
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	if c.host != "" {
		req.Host = c.host
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, err
	}
	// Drain the body so the connection goes back to the pool.
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

func (c *netClient) closeIdle() { c.client.CloseIdleConnections() }

// retried is 0: net/http's transport retries without telling.
func (c *netClient) retried() uint64 { return 0 }
