package main

// A Catalog is the typed form of document.json: one page of a product
// catalogue API response, with the shapes such responses have (nested
// objects, arrays of objects, optional fields that are null, free-form
// attributes, text with escapes and non-ASCII characters).
type Catalog struct {
	Kind      string             `json:"kind"`
	Version   int                `json:"version"`
	Generated string             `json:"generated"` // RFC 3339
	Page      Page               `json:"page"`
	Store     Store              `json:"store"`
	Products  []Product          `json:"products"`
	Facets    map[string][]Facet `json:"facets"`
	Notice    *string            `json:"notice"` // null in document.json
}

// A Page says where this response sits in the listing.
type Page struct {
	Number   int     `json:"number"`
	Size     int     `json:"size"`
	Total    int64   `json:"total"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"` // null on the first page
}

// A Store is the seller.
type Store struct {
	ID       int64    `json:"id"`
	Name     string   `json:"name"`
	Address  Address  `json:"address"`
	Open     bool     `json:"open"`
	Rating   float64  `json:"rating"`
	Tags     []string `json:"tags"`
	Timezone string   `json:"timezone"`
}

// An Address is a postal address.
type Address struct {
	Street   string    `json:"street"`
	City     string    `json:"city"`
	Postcode string    `json:"postcode"`
	Country  string    `json:"country"`
	Geo      *GeoPoint `json:"geo"`
}

// A GeoPoint is a latitude and longitude in degrees.
type GeoPoint struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// A Product is one listed item.
type Product struct {
	ID          int64             `json:"id"`
	SKU         string            `json:"sku"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Price       float64           `json:"price"`
	Currency    string            `json:"currency"`
	InStock     bool              `json:"in_stock"`
	Discount    *float64          `json:"discount"` // null when none
	Rating      *Rating           `json:"rating"`   // null when unrated
	Tags        []string          `json:"tags"`
	Dimensions  Dimensions        `json:"dimensions"`
	Variants    []Variant         `json:"variants"`
	Attributes  map[string]string `json:"attributes"`
	Extra       map[string]any    `json:"extra"` // free-form: numbers, bools, nulls, lists
}

// A Rating summarises reviews.
type Rating struct {
	Average float64 `json:"average"`
	Count   int     `json:"count"`
}

// Dimensions are a product's size and weight.
type Dimensions struct {
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
	Depth  float64 `json:"depth"`
	Unit   string  `json:"unit"`
	Weight float64 `json:"weight_kg"`
}

// A Variant is one purchasable form of a product.
type Variant struct {
	SKU   string  `json:"sku"`
	Color *string `json:"color"` // null when the product has one colour
	Size  string  `json:"size"`
	Stock int     `json:"stock"`
}

// A Facet is one filter value and how many products have it.
type Facet struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}
