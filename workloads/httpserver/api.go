package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// Limits of the API.
const (
	maxItemID   = 1_000_000_000
	maxEchoBody = 1 << 20
)

// An Item is what GET /item/{id} returns.
type Item struct {
	ID         uint64            `json:"id"`
	SKU        string            `json:"sku"`
	Name       string            `json:"name"`
	PriceCents int64             `json:"price_cents"`
	Currency   string            `json:"currency"`
	InStock    bool              `json:"in_stock"`
	Stock      int               `json:"stock"`
	Tags       []string          `json:"tags"`
	Related    []uint64          `json:"related"`
	Attributes map[string]string `json:"attributes"`
	Discount   *float64          `json:"discount"` // null for most items
}

// mix is SplitMix64's finaliser: a well-spread hash of x.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// newItem builds item id; the same id always gives the same item.
func newItem(id uint64) Item {
	h := mix(id)
	colors := [...]string{"black", "navy", "olive", "sand", "crimson", "white"}
	tags := [...]string{"new", "bestseller", "eco", "gift", "sale", "limited"}
	it := Item{
		ID:         id,
		SKU:        fmt.Sprintf("SKU-%010d", id),
		Name:       fmt.Sprintf("Item %d — %s édition", id, colors[h%6]),
		PriceCents: int64(99 + h%100_000),
		Currency:   "EUR",
		Stock:      int(h >> 20 % 500),
		Tags:       []string{tags[h>>8%6], tags[h>>12%6]},
		Related:    []uint64{1 + mix(h)%maxItemID, 1 + mix(h+1)%maxItemID, 1 + mix(h+2)%maxItemID},
		Attributes: map[string]string{"color": colors[h>>16%6], "origin": "DE", "material": "steel"},
	}
	it.InStock = it.Stock > 0
	if h%5 == 0 {
		d := float64(5+h>>24%40) / 100
		it.Discount = &d
	}
	return it
}

// parseID accepts the decimal ids 1..maxItemID, without signs or leading
// zeros, so each item has one URL.
func parseID(s string) (uint64, bool) {
	if s == "" || s[0] == '0' || s[0] == '+' {
		return 0, false
	}
	id, err := strconv.ParseUint(s, 10, 64)
	return id, err == nil && id <= maxItemID
}

func newHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /item/{id}", getItem)
	mux.HandleFunc("POST /echo", echo)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return mux
}

func getItem(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no item %q: ids are 1 to %d", r.PathValue("id"), maxItemID))
		return
	}
	writeJSON(w, http.StatusOK, newItem(id))
}

func echo(w http.ResponseWriter, r *http.Request) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxEchoBody))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil {
		// One JSON value and nothing after it.
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("data after the JSON value")
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", maxEchoBody))
	case err != nil:
		writeError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
	default:
		writeJSON(w, http.StatusOK, v)
	}
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// writeJSON encodes v into a buffer first, so an encoding error can still
// become a 500 and the response has a Content-Length.
func writeJSON(w http.ResponseWriter, code int, v any) {
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(v); err != nil {
		http.Error(w, "encoding the response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(code)
	w.Write(b.Bytes())
}
