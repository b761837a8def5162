package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite document.json from genCatalog")

// genCatalog builds the catalogue page that document.json holds.
func genCatalog() Catalog {
	rng := rand.New(rand.NewPCG(7, 11))
	str := func(s string) *string { return &s }
	titles := []string{
		`Café crème espresso cups, set of 4`,
		`Trail bike 🚲 "Summit" 29″ frame`,
		`Ærøskøbing wool blanket — hand woven`,
		`東京 notebook, A5, dotted`,
		`Cable USB-C <-> USB-A, 2 m & braided`,
		`Ελληνικό μέλι (Greek honey), 450 g`,
		`Socket set 1/4" drive, 46 pieces`,
		`Path "C:\\Program Files\\Tools" sticker`,
		`Lampe de bureau à LED, réglable`,
		`Backpack 30 L	waterproof, roll-top`,
		`Kaffeemühle aus Edelstahl, Ø 6 cm`,
		`Chess set, walnut — 1st edition ♞`,
		`Teapot 茶壶, stoneware, 0.8 L`,
	}
	descs := []string{
		"Dishwasher safe.\nStackable; each cup holds 90 ml.\n",
		"Aluminium frame, hydraulic disc brakes.\tShimano 1×12.\nNot for \"extreme\" downhill use.",
		"Made of 100 % merino wool\u2028Dry clean only.",
		"80 g/m² paper, lies flat, 192 pages, numbered.",
		"Supports 60 W charging & 10 Gbit/s data. <b>Note:</b> not for Thunderbolt 3.",
		"Raw, unfiltered thyme honey from Crete — crystallises naturally.",
		"Chrome vanadium steel; ratchet with 72 teeth. Case included.",
		"Vinyl sticker, 10 cm × 3 cm, weatherproof. Backslash \\ included.",
		"Lumière chaude/froide, 5 niveaux d'intensité, port USB.",
		"Roll-top closure, padded 15\" laptop sleeve, reflective trim.",
		"Keramikmahlwerk, 18 Mahlgrade, für Espresso bis French Press.",
		"Hand-carved pieces, felted bases, king 95 mm. \u0001Gift box.",
		"Glazed stoneware; removable infuser.\r\nHand wash only.",
	}
	colors := []*string{nil, str("black"), str("navy"), str("olive"), str("sand"), str("crimson")}
	sizes := []string{"XS", "S", "M", "L", "XL", "one size"}
	tags := []string{"new", "bestseller", "eco", "gift", "sale", "limited", "imported", "handmade"}
	pick := func(n int) []string {
		out := make([]string, 0, n)
		for _, i := range rng.Perm(len(tags))[:n] {
			out = append(out, tags[i])
		}
		return out
	}
	c := Catalog{
		Kind:      "catalog#page",
		Version:   3,
		Generated: "2025-03-14T09:26:53.589Z",
		Page:      Page{Number: 1, Size: len(titles), Total: 1873, Next: str("/v3/catalog?page=2&size=13&sort=-rating")},
		Store: Store{
			ID: 4_503_599_627_370_497, Name: "Nordlicht & Söhne", Open: true, Rating: 4.7,
			Address: Address{Street: "Königstraße 12", City: "Stuttgart", Postcode: "70173", Country: "DE",
				Geo: &GeoPoint{Lat: 48.7784485, Lon: 9.1800132}},
			Tags: []string{"outdoor", "home", "kitchen"}, Timezone: "Europe/Berlin",
		},
		Facets: map[string][]Facet{},
	}
	for i := range titles {
		p := Product{
			ID:          int64(1_000_000 + i*7919),
			SKU:         fmt.Sprintf("NL-%04d-%c", 17+i*31, 'A'+rune(i)),
			Title:       titles[i],
			Description: descs[i],
			Price:       float64(rng.IntN(50000)+99) / 100,
			Currency:    "EUR",
			InStock:     i%4 != 3,
			Tags:        pick(1 + rng.IntN(4)),
			Dimensions: Dimensions{Width: float64(rng.IntN(600)) / 10, Height: float64(rng.IntN(400)) / 10,
				Depth: float64(rng.IntN(300)) / 10, Unit: "cm", Weight: float64(rng.IntN(20000)) / 1000},
			Attributes: map[string]string{"brand": "Nordlicht", "origin": []string{"DE", "JP", "GR", "DK", "FR"}[i%5],
				"material": []string{"steel", "wool", "paper", "ceramic", "walnut", "aluminium"}[i%6]},
			Extra: map[string]any{
				"warranty_years": float64(1 + i%3),
				"returnable":     i%5 != 0,
				"energy_label":   nil,
				"bundle_ids":     []any{float64(2_000_000 + i), float64(2_000_100 + i)},
				"score":          0.5 + float64(rng.IntN(500))/1000,
				"tolerance_m":    float64(1+rng.IntN(9)) * 1e-7,
			},
		}
		if i%3 == 0 {
			d := float64(10+rng.IntN(30)) / 100
			p.Discount = &d
		}
		if i%4 != 2 {
			p.Rating = &Rating{Average: 3 + float64(rng.IntN(20))/10, Count: rng.IntN(5000)}
		}
		for v := range 1 + rng.IntN(3) {
			p.Variants = append(p.Variants, Variant{
				SKU: fmt.Sprintf("%s-%d", p.SKU, v+1), Color: colors[rng.IntN(len(colors))],
				Size: sizes[rng.IntN(len(sizes))], Stock: rng.IntN(250),
			})
		}
		c.Products = append(c.Products, p)
	}
	for _, t := range tags {
		c.Facets["tag"] = append(c.Facets["tag"], Facet{Value: t, Count: 10 + rng.IntN(400)})
	}
	for _, s := range sizes {
		c.Facets["size"] = append(c.Facets["size"], Facet{Value: s, Count: rng.IntN(900)})
	}
	c.Facets["price"] = []Facet{{"0-25", 412}, {"25-100", 917}, {"100-500", 544}}
	return c
}

// encodeDocument renders c as document.json holds it: compact, with <, >
// and & left as they are, as most servers send them.
func encodeDocument(c Catalog) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func TestDocumentUpToDate(t *testing.T) {
	want := encodeDocument(genCatalog())
	if *update {
		if err := os.WriteFile("document.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(document, want) {
		t.Fatal("document.json differs from genCatalog; run go test -run TestDocumentUpToDate -update")
	}
	if n := len(document); n < 9<<10 || n > 12<<10 {
		t.Errorf("document.json is %d bytes; want about 10 KiB", n)
	}
	for _, s := range []string{`\"`, `\\`, `\n`, `\t`, `\u2028`, `\u0001`, "é", "東京", "🚲", "null", "true", "false", "e-", "4503599627370497"} {
		if !bytes.Contains(document, []byte(s)) {
			t.Errorf("document.json has no %q; want escapes, non-ASCII text, nulls, bools and numbers", s)
		}
	}
}
