package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/perfharness/harness/workloads/driver"
)

const defaultTimeout = 5 * time.Second

type options struct {
	url, method, body, control string
	headers                    []string
	timeout                    time.Duration
	allowRemote                bool
	conns                      int
}

// A requestOp issues one HTTP request per Do through a bounded pool.
type requestOp struct {
	o      options
	client *http.Client
	header http.Header
	body   []byte

	dials atomic.Uint64
	codes [600]atomic.Uint64
	other atomic.Uint64 // status codes outside 0..599

	mu     sync.Mutex
	errors map[string]uint64
}

var (
	_ driver.Op       = (*requestOp)(nil)
	_ driver.Windowed = (*requestOp)(nil)
	_ driver.Reporter = (*requestOp)(nil)
)

func newRequestOp(o options) (*requestOp, error) {
	var errs []error
	u, err := url.Parse(o.url)
	switch {
	case o.url == "":
		errs = append(errs, errors.New("-url: required"))
	case err != nil:
		errs = append(errs, fmt.Errorf("-url: %v", err))
	case u.Scheme != "http":
		errs = append(errs, fmt.Errorf("-url: scheme %q: only http is supported", u.Scheme))
	default:
		if err := checkTarget(u, o.allowRemote); err != nil {
			errs = append(errs, fmt.Errorf("-url: %w", err))
		}
	}
	if o.control != "" {
		if c, err := url.Parse(o.control); err != nil || c.Scheme != "http" {
			errs = append(errs, fmt.Errorf("-control: want an http:// base URL (got %q)", o.control))
		} else if err := checkTarget(c, o.allowRemote); err != nil {
			errs = append(errs, fmt.Errorf("-control: %w", err))
		}
	}
	if o.timeout <= 0 {
		errs = append(errs, fmt.Errorf("-timeout: must be > 0 (got %v)", o.timeout))
	}
	h := http.Header{}
	for _, kv := range o.headers {
		k, v, _ := strings.Cut(kv, ":")
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	op := &requestOp{o: o, header: h, body: []byte(o.body), errors: map[string]uint64{}}
	dialer := &net.Dialer{Timeout: o.timeout, KeepAlive: 30 * time.Second}
	conns := max(o.conns, 1)
	op.client = &http.Client{
		Timeout: o.timeout,
		Transport: &http.Transport{
			Proxy: nil, // never send load through a proxy from the environment
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				op.dials.Add(1)
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
	}
	return op, nil
}

// checkTarget refuses hosts that are not loopback, unless allowed. A name
// other than localhost is refused: it could resolve anywhere.
func checkTarget(u *url.URL, allow bool) error {
	host := u.Hostname()
	if allow || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("host %q is not loopback; give -allow-remote to load another machine", host)
}

func (op *requestOp) Setup(context.Context, driver.Params) error { return nil }

func (op *requestOp) Do(ctx context.Context) error {
	var body io.Reader
	if len(op.body) > 0 {
		body = bytes.NewReader(op.body)
	}
	req, err := http.NewRequestWithContext(ctx, op.o.method, op.o.url, body)
	if err != nil {
		return op.fail("request", err)
	}
	for k, v := range op.header {
		req.Header[k] = v
	}
	resp, err := op.client.Do(req)
	if err != nil {
		return op.fail(errKind(err), err)
	}
	// Drain the body so the connection goes back to the pool.
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if c := resp.StatusCode; c >= 0 && c < len(op.codes) {
		op.codes[c].Add(1)
	} else {
		op.other.Add(1)
	}
	if err != nil {
		return op.fail("body", err)
	}
	if resp.StatusCode >= 400 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

func (op *requestOp) fail(kind string, err error) error {
	op.mu.Lock()
	op.errors[kind]++
	op.mu.Unlock()
	return err
}

// errKind sorts transport errors into a few stable kinds for the report.
func errKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection-refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection-reset"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "address-not-available"
	}
	return "other"
}

func (op *requestOp) Teardown() { op.client.CloseIdleConnections() }

// StartWindow resets the status and error counters, so that they cover
// the window (give or take requests in flight at its start), and starts the
// server's window when -control is set. Dials are not reset: the number of
// connections ever opened is what shows the pool is bounded.
func (op *requestOp) StartWindow(ctx context.Context) error {
	for i := range op.codes {
		op.codes[i].Store(0)
	}
	op.other.Store(0)
	op.mu.Lock()
	clear(op.errors)
	op.mu.Unlock()
	return op.callControl(ctx, driver.ControlStart)
}

func (op *requestOp) StopWindow(ctx context.Context) error {
	return op.callControl(ctx, driver.ControlStop)
}

func (op *requestOp) callControl(ctx context.Context, path string) error {
	if op.o.control == "" {
		return nil
	}
	// A separate client: the control call must not wait for a pooled
	// connection behind the load.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(op.o.control, "/")+path, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		return fmt.Errorf("control %s: %w", path, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("control %s: %s", path, resp.Status)
	}
	return nil
}

// A report is httpload's op_report in result.json.
type report struct {
	StatusCodes map[string]uint64 `json:"status_codes"`
	Errors      map[string]uint64 `json:"errors"`
	Dials       uint64            `json:"connections_dialed"` // since the process started
	MaxConns    int               `json:"max_connections"`
	URL         string            `json:"url"`
	Method      string            `json:"method"`
}

func (op *requestOp) Report() any {
	r := report{StatusCodes: map[string]uint64{}, Errors: map[string]uint64{}, Dials: op.dials.Load(), MaxConns: max(op.o.conns, 1), URL: op.o.url, Method: op.o.method}
	for c := range op.codes {
		if n := op.codes[c].Load(); n > 0 {
			r.StatusCodes[strconv.Itoa(c)] = n
		}
	}
	if n := op.other.Load(); n > 0 {
		r.StatusCodes["other"] = n
	}
	op.mu.Lock()
	for k, v := range op.errors {
		r.Errors[k] = v
	}
	op.mu.Unlock()
	return r
}
