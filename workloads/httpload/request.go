package main

import (
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

// Clients (-client).
const (
	clientH1      = "h1"
	clientNetHTTP = "net/http"
)

type options struct {
	url, method, body, control string
	headers                    []string
	timeout                    time.Duration
	allowRemote                bool
	conns                      int
	client                     string
}

// A client sends the request once per do and returns the response's
// status code (0 when there was none). It never holds more than the
// configured number of connections.
type client interface {
	do(ctx context.Context) (status int, err error)
	closeIdle()
	retried() uint64 // requests sent again after a kept-alive connection closed unanswered
}

// A requestOp issues one HTTP request per Do through a bounded pool and
// counts status codes and errors.
type requestOp struct {
	o      options
	client client

	dials     atomic.Uint64
	codes     [600]atomic.Uint64
	other     atomic.Uint64 // status codes outside 0..599
	statusErr [600]error    // made once: a 4xx or 5xx answer allocates nothing

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
	if o.client != clientH1 && o.client != clientNetHTTP {
		errs = append(errs, fmt.Errorf("-client: %q: want %s or %s", o.client, clientH1, clientNetHTTP))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	op := &requestOp{o: o, errors: map[string]uint64{}}
	for c := 400; c < len(op.statusErr); c++ {
		op.statusErr[c] = fmt.Errorf("status %d", c)
	}
	if o.client == clientNetHTTP {
		op.client = newNetClient(o, &op.dials)
	} else if op.client, err = newH1Client(u, o, &op.dials); err != nil {
		return nil, err
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
	status, err := op.client.do(ctx)
	if status > 0 {
		if status < len(op.codes) {
			op.codes[status].Add(1)
		} else {
			op.other.Add(1)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return op.fail("canceled", err)
		}
		return op.fail(errKind(err), err)
	}
	if status >= 400 {
		if status < len(op.statusErr) {
			return op.statusErr[status]
		}
		return fmt.Errorf("status %d", status)
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
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection-reset"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "address-not-available"
	case errors.Is(err, errProtocol):
		return "protocol"
	}
	return "other"
}

func (op *requestOp) Teardown() { op.client.closeIdle() }

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
	Retried     uint64            `json:"retried"` // sent again after a kept-alive connection closed unanswered
	Client      string            `json:"client"`
	URL         string            `json:"url"`
	Method      string            `json:"method"`
}

func (op *requestOp) Report() any {
	r := report{StatusCodes: map[string]uint64{}, Errors: map[string]uint64{}, Dials: op.dials.Load(), MaxConns: max(op.o.conns, 1),
		Retried: op.client.retried(), Client: op.o.client, URL: op.o.url, Method: op.o.method}
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
