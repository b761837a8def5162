package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func do(t *testing.T, srv *httptest.Server, method, path, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestRoutes(t *testing.T) {
	srv := httptest.NewServer(newHandler())
	defer srv.Close()
	big := `"` + strings.Repeat("x", maxEchoBody) + `"`
	for _, tt := range []struct {
		why, method, path, body string
		code                    int
		want                    string // a substring of the body
	}{
		{"an item", "GET", "/item/42", "", 200, `"id":42,"sku":"SKU-0000000042"`},
		{"the largest id", "GET", "/item/1000000000", "", 200, `"id":1000000000`},
		{"id 0 does not exist", "GET", "/item/0", "", 404, `"error":"no item \"0\"`},
		{"past the largest id", "GET", "/item/1000000001", "", 404, "no item"},
		{"not a number", "GET", "/item/abc", "", 404, "no item"},
		{"a sign", "GET", "/item/+5", "", 404, "no item"},
		{"negative", "GET", "/item/-5", "", 404, "no item"},
		{"leading zero: one URL per item", "GET", "/item/042", "", 404, "no item"},
		{"overflows uint64", "GET", "/item/99999999999999999999999", "", 404, "no item"},
		{"no id", "GET", "/item/", "", 404, ""},
		{"wrong method", "POST", "/item/42", "", 405, ""},
		{"health", "GET", "/health", "", 200, `{"status":"ok"}`},
		{"HEAD is allowed where GET is", "HEAD", "/health", "", 200, ""},
		{"echo an object", "POST", "/echo", `{"b":[1,2.50,null,true],"a":"é\n"}`, 200, `{"a":"é\n","b":[1,2.50,null,true]}`},
		{"echo keeps big integers exact", "POST", "/echo", `12345678901234567890`, 200, "12345678901234567890\n"},
		{"echo accepts trailing space", "POST", "/echo", "[1] \n", 200, "[1]\n"},
		{"echo: invalid JSON", "POST", "/echo", `{"a":`, 400, "invalid JSON"},
		{"echo: two values", "POST", "/echo", `{} {}`, 400, "data after the JSON value"},
		{"echo: empty body", "POST", "/echo", ``, 400, "invalid JSON"},
		{"echo: too large", "POST", "/echo", big, 413, "body larger than 1048576 bytes"},
		{"echo: GET", "GET", "/echo", "", 405, ""},
		{"unknown path", "GET", "/nope", "", 404, ""},
	} {
		code, h, body := do(t, srv, tt.method, tt.path, tt.body)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %s %s: %d %q; want %d with %q", tt.why, tt.method, tt.path, code, body, tt.code, tt.want)
			continue
		}
		if tt.want != "" && h.Get("Content-Type") != "application/json" {
			t.Errorf("%s: Content-Type %q, want application/json", tt.why, h.Get("Content-Type"))
		}
		if tt.want != "" && h.Get("Content-Length") != strconv.Itoa(len(body)) {
			t.Errorf("%s: Content-Length %q for a %d-byte body", tt.why, h.Get("Content-Length"), len(body))
		}
	}
}

func TestItem(t *testing.T) {
	srv := httptest.NewServer(newHandler())
	defer srv.Close()
	_, _, body := do(t, srv, "GET", "/item/7", "")
	var got Item
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if want := newItem(7); !reflect.DeepEqual(got, want) {
		t.Errorf("GET /item/7 = %+v\nwant %+v", got, want)
	}
	if !reflect.DeepEqual(newItem(7), newItem(7)) || reflect.DeepEqual(newItem(7), newItem(8)) {
		t.Error("items must follow from their id alone")
	}
	if n := len(body); n < 200 || n > 500 {
		t.Errorf("item of %d bytes; want about 300", n)
	}
	discounts := 0
	for id := uint64(1); id <= 1000; id++ {
		it := newItem(id)
		if it.Discount != nil {
			discounts++
		}
		for _, r := range it.Related {
			if r < 1 || r > maxItemID {
				t.Fatalf("item %d relates to %d, outside 1..%d", id, r, maxItemID)
			}
		}
	}
	if discounts < 100 || discounts > 300 {
		t.Errorf("%d of 1000 items have a discount; want about 200", discounts)
	}
}
