package report

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// chromium finds the browser, or skips — except under CI, where a missing
// browser fails the test: the page must be checked there.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("CHROMIUM"), "chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found: the report page cannot be checked (scripts/install-deps installs it)")
	}
	t.Skip("chromium not found")
	return ""
}

// TestHTMLInChromium opens index.html in headless Chromium through the
// DevTools protocol and checks what a reader would see: the tables and
// plots are there, the console is clean, nothing is fetched from the
// network, and a cell label made of markup shows as text and runs nothing.
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("starts a browser; skipped with -short")
	}
	res := synth(t, SynthOptions{Ops: 2, Runs: 6, Label: xss, Failures: true})
	out, err := Render(context.Background(), res, Options{ReportsDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := filepath.Abs(filepath.Join(out, HTMLFile))

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	profileDir := t.TempDir()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions", "--disable-default-apps",
		"--user-data-dir="+profileDir, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		"--window-size=1280,1600", "about:blank")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	var wsURL string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		data, err := os.ReadFile(filepath.Join(profileDir, "DevToolsActivePort"))
		if lines := strings.Split(strings.TrimSpace(string(data)), "\n"); err == nil && len(lines) == 2 {
			wsURL = "ws://127.0.0.1:" + lines[0] + lines[1]
			break
		}
	}
	if wsURL == "" {
		t.Fatalf("chromium did not open its DevTools port:\n%s", stderr.String())
	}
	cdp, err := dialCDP(wsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer cdp.close()

	var target struct{ TargetID string }
	if err := cdp.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		t.Fatal(err)
	}
	var attached struct{ SessionID string }
	if err := cdp.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached); err != nil {
		t.Fatal(err)
	}
	s := attached.SessionID
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable", "Network.enable"} {
		if err := cdp.call(s, m, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := cdp.call(s, "Page.addScriptToEvaluateOnNewDocument", map[string]any{
		"source": "window.__alerts = []; window.alert = function(m) { window.__alerts.push(String(m)); };"}, nil); err != nil {
		t.Fatal(err)
	}
	// The reader's first screen: 1400×900.
	if err := cdp.call(s, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": false}, nil); err != nil {
		t.Fatal(err)
	}
	loaded := cdp.wait("Page.loadEventFired")
	if err := cdp.call(s, "Page.navigate", map[string]any{"url": "file://" + page}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-loaded:
	case <-ctx.Done():
		t.Fatal("page did not load")
	}
	time.Sleep(500 * time.Millisecond) // let the page's script and any stray fetch happen

	var eval struct {
		Result struct {
			Value string
		}
		ExceptionDetails any
	}
	expr := `JSON.stringify({
		tables: document.querySelectorAll("table").length,
		rows: document.querySelectorAll("table.sortable tbody tr").length,
		svgs: document.querySelectorAll("figure svg").length,
		imgs: document.querySelectorAll("img").length,
		alerts: window.__alerts.length,
		labelShown: document.body.innerText.indexOf(` + "`" + xss + "`" + `) >= 0,
		ncmp: (document.getElementById("ncmp") || {}).textContent || "",
		firstID: document.body.firstElementChild.id,
		answersTop: document.getElementById("answers").getBoundingClientRect().top,
		answerLines: document.querySelectorAll("#answers li").length,
		scrollWidth: document.documentElement.scrollWidth,
		innerWidth: window.innerWidth,
		deadLinks: Array.prototype.filter.call(document.querySelectorAll("#answers a[href^='#']"), function(a){ return !document.getElementById(a.getAttribute("href").slice(1)); }).length,
		headline: document.querySelector("#answers .lead").textContent,
		sorted: (function(){ var th = document.querySelector("table.sortable th"); th.click(); th.click(); return true; })()
	})`
	if err := cdp.call(s, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &eval); err != nil {
		t.Fatal(err)
	}
	if eval.ExceptionDetails != nil {
		t.Fatalf("evaluating the page: %v", eval.ExceptionDetails)
	}
	var got struct {
		Tables, Rows, Svgs, Imgs, Alerts int
		LabelShown                       bool
		Ncmp                             string
		FirstID                          string
		AnswersTop                       float64
		AnswerLines                      int
		ScrollWidth, InnerWidth          int
		DeadLinks                        int
		Headline                         string
	}
	if err := json.Unmarshal([]byte(eval.Result.Value), &got); err != nil {
		t.Fatalf("%v: %s", err, eval.Result.Value)
	}
	t.Logf("page: %+v", got)
	if got.Tables < 5 || got.Rows < 5 || got.Svgs < 5 {
		t.Errorf("the page shows %d tables, %d table rows, %d plots", got.Tables, got.Rows, got.Svgs)
	}
	if got.Imgs != 0 || got.Alerts != 0 {
		t.Errorf("the markup in a cell label became an element: %d <img>, %d alerts", got.Imgs, got.Alerts)
	}
	if !got.LabelShown {
		t.Errorf("the cell label %q is not shown as text", xss)
	}
	if !strings.Contains(got.Ncmp, "comparisons") {
		t.Errorf("the embedded JSON did not parse: %q", got.Ncmp)
	}
	// The Answers come first, with nothing above them, and the page does
	// not scroll sideways at 1400 px.
	if got.FirstID != "answers" || got.AnswersTop > 40 || got.AnswerLines == 0 {
		t.Errorf("the page does not open with its answers: first element #%s, answers at %.0f px, %d answer lines", got.FirstID, got.AnswersTop, got.AnswerLines)
	}
	if got.ScrollWidth > got.InnerWidth {
		t.Errorf("the page is %d px wide in a %d px window: a horizontal scrollbar", got.ScrollWidth, got.InnerWidth)
	}
	if got.DeadLinks > 0 {
		t.Errorf("%d links in the answers lead nowhere", got.DeadLinks)
	}
	if !strings.Contains(got.Headline, "answers to") || strings.Contains(strings.ToLower(got.Headline), "regression") {
		t.Errorf("the headline should count answers, not regressions: %q", got.Headline)
	}

	var shot struct{ Data string }
	if err := cdp.call(s, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot); err == nil {
		png, _ := base64.StdEncoding.DecodeString(shot.Data)
		path := os.Getenv("REPORT_SCREENSHOT")
		if path == "" {
			path = filepath.Join(t.TempDir(), "index.png")
		}
		if err := os.WriteFile(path, png, 0o644); err == nil {
			t.Logf("screenshot: %s", path)
		}
	}

	for _, ev := range cdp.events() {
		switch ev.Method {
		case "Runtime.consoleAPICalled":
			var p struct {
				Type string
				Args []struct{ Value any }
			}
			json.Unmarshal(ev.Params, &p)
			if p.Type == "error" || p.Type == "warning" || p.Type == "assert" {
				t.Errorf("console %s: %v", p.Type, p.Args)
			}
		case "Runtime.exceptionThrown":
			t.Errorf("uncaught exception: %s", ev.Params)
		case "Log.entryAdded":
			var p struct {
				Entry struct{ Level, Text, URL string }
			}
			json.Unmarshal(ev.Params, &p)
			if p.Entry.Level == "error" || p.Entry.Level == "warning" {
				t.Errorf("browser log %s: %s %s", p.Entry.Level, p.Entry.Text, p.Entry.URL)
			}
		case "Network.requestWillBeSent":
			var p struct{ Request struct{ URL string } }
			json.Unmarshal(ev.Params, &p)
			if u := p.Request.URL; u != "file://"+page {
				t.Errorf("the page requested %s: it must be self-contained", u)
			}
		case "Page.javascriptDialogOpening":
			t.Errorf("the page opened a dialog: %s", ev.Params)
		}
	}
}

// cdpConn is a minimal Chrome DevTools Protocol client over a WebSocket
// (RFC 6455, client side, text frames), enough for a test.
type cdpConn struct {
	conn net.Conn
	r    *bufio.Reader
	wmu  sync.Mutex

	mu      sync.Mutex
	nextID  int
	pending map[int]chan cdpMsg
	log     []cdpMsg
	waiters map[string][]chan struct{}
}

type cdpMsg struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct{ Message string }
	SessionID string `json:"sessionId,omitempty"`
}

func dialCDP(wsURL string) (*cdpConn, error) {
	rest := strings.TrimPrefix(wsURL, "ws://")
	hostport, path, _ := strings.Cut(rest, "/")
	conn, err := net.DialTimeout("tcp", hostport, 10*time.Second)
	if err != nil {
		return nil, err
	}
	key := make([]byte, 16)
	rand.Read(key)
	fmt.Fprintf(conn, "GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
		path, hostport, base64.StdEncoding.EncodeToString(key))
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		conn.Close()
		return nil, fmt.Errorf("websocket handshake: %s", resp.Status)
	}
	c := &cdpConn{conn: conn, r: r, pending: map[int]chan cdpMsg{}, waiters: map[string][]chan struct{}{}}
	go c.readLoop()
	return c, nil
}

func (c *cdpConn) close() { c.conn.Close() }

func (c *cdpConn) send(data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	hdr := []byte{0x81}
	n := len(data)
	switch {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n < 1<<16:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	mask := make([]byte, 4)
	rand.Read(mask)
	hdr = append(hdr, mask...)
	masked := make([]byte, n)
	for i := range data {
		masked[i] = data[i] ^ mask[i%4]
	}
	_, err := c.conn.Write(append(hdr, masked...))
	return err
}

func (c *cdpConn) readFrame() (opcode byte, payload []byte, fin bool, err error) {
	var h [2]byte
	if _, err = io.ReadFull(c.r, h[:]); err != nil {
		return
	}
	fin, opcode = h[0]&0x80 != 0, h[0]&0x0f
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err = io.ReadFull(c.r, b[:]); err != nil {
			return
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err = io.ReadFull(c.r, b[:]); err != nil {
			return
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	var mask [4]byte
	if h[1]&0x80 != 0 {
		if _, err = io.ReadFull(c.r, mask[:]); err != nil {
			return
		}
	}
	payload = make([]byte, n)
	if _, err = io.ReadFull(c.r, payload); err != nil {
		return
	}
	if h[1]&0x80 != 0 {
		for i := range payload {
			payload[i] ^= mask[i%4]
		}
	}
	return
}

func (c *cdpConn) readLoop() {
	var msg []byte
	for {
		op, p, fin, err := c.readFrame()
		if err != nil {
			c.mu.Lock()
			for _, ch := range c.pending {
				close(ch)
			}
			c.pending = map[int]chan cdpMsg{}
			c.mu.Unlock()
			return
		}
		switch op {
		case 0x8: // close
			c.conn.Close()
			continue
		case 0x9, 0xA: // ping, pong: nothing to do for a short test
			continue
		}
		msg = append(msg, p...)
		if !fin {
			continue
		}
		var m cdpMsg
		if err := json.Unmarshal(msg, &m); err == nil {
			c.mu.Lock()
			if m.ID != 0 {
				if ch := c.pending[m.ID]; ch != nil {
					ch <- m
					delete(c.pending, m.ID)
				}
			} else {
				c.log = append(c.log, m)
				for _, ch := range c.waiters[m.Method] {
					close(ch)
				}
				delete(c.waiters, m.Method)
			}
			c.mu.Unlock()
		}
		msg = nil
	}
}

// call sends a command and decodes its result into out.
func (c *cdpConn) call(session, method string, params any, out any) error {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan cdpMsg, 1)
	c.pending[id] = ch
	c.mu.Unlock()
	req := map[string]any{"id": id, "method": method}
	if params != nil {
		req["params"] = params
	}
	if session != "" {
		req["sessionId"] = session
	}
	data, _ := json.Marshal(req)
	if err := c.send(data); err != nil {
		return err
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: connection closed", method)
		}
		if m.Error != nil {
			return fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(m.Result, out)
		}
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s: no answer", method)
	}
}

// wait returns a channel closed when the next event named method arrives.
func (c *cdpConn) wait(method string) <-chan struct{} {
	ch := make(chan struct{})
	c.mu.Lock()
	c.waiters[method] = append(c.waiters[method], ch)
	c.mu.Unlock()
	return ch
}

func (c *cdpConn) events() []cdpMsg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]cdpMsg(nil), c.log...)
}
