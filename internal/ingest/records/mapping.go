package records

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// dialect selects the behaviour of a ready mapping beyond column names.
type dialect uint8

const (
	dialectDefault dialect = iota
	dialectShopify
	dialectAmazon
)

// Mapping tells a Reader which column of a CSV/TSV file holds which field.
// Columns not named in a mapping are matched by the kind's default column
// names (see the package documentation), and any column that is still unknown
// is kept as an extra property or trait. The zero value and nil mean "default
// columns only".
//
// Build one with ParseMapping (a user's mapping) or ReadyMapping (a known
// export format). A Mapping is immutable and safe for concurrent use.
type Mapping struct {
	name     string // ready mapping name, "" for a user mapping
	kind     Kind   // the kind the mapping is for, "" for any
	dialect  dialect
	entries  []mapEntry // user: sorted by column; ready: priority order
	defaults map[string]string
	// extraRule, for ready mappings, maps otherwise unknown columns.
	extraRule func(norm string) (target string, ok bool)
	// literalTabQuotes: a tab-delimited file is read without quote
	// processing (Amazon flat files) unless the format is "csv".
	literalTabQuotes bool
	required         [][]int // alternatives of required fields; nil = kind default
}

type mapEntry struct {
	norm   string // normalised column name
	column string // as written
	target string
}

// Name returns the ready mapping's name ("shopify", "amazon"), or "" for a
// user mapping.
func (m *Mapping) Name() string {
	if m == nil {
		return ""
	}
	return m.name
}

// ReadyMapping returns a built-in mapping for a known export format:
//
//   - "shopify": the Shopify admin orders export CSV (one row per line item),
//   - "amazon": Amazon Seller Central's "All Orders" flat-file order report
//     (tab-separated, one row per item).
//
// Both are for KindOrders; see the package documentation for the columns
// they use.
func ReadyMapping(name string) (*Mapping, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "shopify":
		return shopifyMapping, nil
	case "amazon":
		return amazonMapping, nil
	}
	return nil, fmt.Errorf("records: unknown ready mapping %q (known: shopify, amazon)", name)
}

func readyMapping(name string, d dialect, pairs [][2]string, rule func(string) (string, bool), required [][]int) *Mapping {
	m := &Mapping{name: name, kind: KindOrders, dialect: d, extraRule: rule, required: required}
	for _, p := range pairs {
		m.entries = append(m.entries, mapEntry{norm: normName(p[0]), column: p[0], target: p[1]})
	}
	return m
}

var shopifyMapping = readyMapping("shopify", dialectShopify, [][2]string{
	{"Id", "order_id"},
	{"Name", "order_name"},
	{"Email", "email"},
	{"Phone", "phone"},
	{"Billing Phone", "phone"},
	{"Billing Name", "customer_name"},
	{"Billing Street", "street"},
	{"Billing City", "city"},
	{"Billing Province", "state"},
	{"Billing Zip", "postal_code"},
	{"Billing Country", "country"},
	{"Created at", "timestamp"},
	{"Currency", "currency"},
	{"Subtotal", "subtotal"},
	{"Shipping", "shipping"},
	{"Taxes", "tax"},
	{"Total", "total"},
	{"Discount Code", "coupon"},
	{"Discount Amount", "discount"},
	{"Financial Status", "status"},
	{"Fulfillment Status", "fulfillment_status"},
	{"Paid at", "paid_at"},
	{"Cancelled at", "cancelled_at"},
	{"Refunded Amount", "refunded"},
	{"Lineitem quantity", "quantity"},
	{"Lineitem name", "name"},
	{"Lineitem price", "price"},
	{"Lineitem compare at price", "compare_at_price"},
	{"Lineitem sku", "sku"},
	{"Lineitem discount", "item_discount"},
	{"Vendor", "brand"},
	{"Lineitem requires shipping", "product.requires_shipping"},
	{"Lineitem taxable", "product.taxable"},
	{"Lineitem fulfillment status", "product.fulfillment_status"},
}, func(n string) (string, bool) {
	// Remaining billing and shipping address columns are personal data of
	// the buyer or recipient: keep them as traits.
	if n == "shipping_method" {
		return "", false
	}
	if strings.HasPrefix(n, "billing_") || strings.HasPrefix(n, "shipping_") {
		return "trait." + n, true
	}
	return "", false
}, [][]int{{oOrderName}, {oTimestamp}})

var amazonMapping = func() *Mapping {
	m := readyMapping("amazon", dialectAmazon, [][2]string{
		{"amazon-order-id", "order_id"},
		{"order-id", "order_id"},
		{"purchase-date", "timestamp"},
		{"last-updated-date", "updated_at"},
		{"order-status", "status"},
		{"sales-channel", "affiliation"},
		{"product-name", "name"},
		{"sku", "sku"},
		{"asin", "product_id"},
		{"item-status", "product.item_status"},
		{"quantity", "quantity"},
		{"quantity-purchased", "quantity"},
		{"currency", "currency"},
		{"item-price", "line_total"},
		{"item-tax", "item_tax"},
		{"shipping-price", "shipping_price"},
		{"shipping-tax", "shipping_tax"},
		{"gift-wrap-price", "gift_wrap_price"},
		{"gift-wrap-tax", "gift_wrap_tax"},
		{"item-promotion-discount", "item_promotion_discount"},
		{"ship-promotion-discount", "ship_promotion_discount"},
		{"ship-city", "city"},
		{"ship-state", "state"},
		{"ship-postal-code", "postal_code"},
		{"ship-country", "country"},
		{"buyer-email", "email"},
		{"buyer-name", "customer_name"},
		{"buyer-phone-number", "phone"},
	}, func(n string) (string, bool) {
		if n == "recipient_name" || strings.HasPrefix(n, "ship_address") || n == "ship_phone_number" {
			return "trait." + n, true
		}
		return "", false
	}, [][]int{{oOrderID}, {oTimestamp}})
	m.literalTabQuotes = true
	return m
}()

// mappingFile is the JSON form of a user mapping.
type mappingFile struct {
	Kind     string            `json:"kind"`
	Columns  map[string]string `json:"columns"`
	Defaults map[string]string `json:"defaults"`
}

// ParseMapping parses a user mapping. spec is one of:
//
//   - inline pairs "column=field,column2=field2" (a column name containing a
//     comma or '=' is written in double quotes: "\"Order, No\"=order_id");
//   - inline JSON, starting with '{';
//   - the path of a JSON file (a spec ending in ".json", or naming an
//     existing file).
//
// The JSON form is
//
//	{"kind": "orders",                       // optional; checked by NewReader
//	 "columns": {"Bestellnummer": "order_id", "Notiz": "property.note", "Intern": "ignore"},
//	 "defaults": {"currency": "EUR"}}        // used where a column is absent or a cell blank
//
// A target is a field name of the kind (its default column name), "ignore"
// (the column is deliberately not imported), "property.NAME", "trait.NAME"
// or, for orders, "product.NAME". Targets are checked against the kind by
// NewReader, which also fails when a mapped column is not in the header.
func ParseMapping(spec string) (*Mapping, error) {
	s := strings.TrimSpace(spec)
	if s == "" {
		return nil, fmt.Errorf("records: empty mapping")
	}
	if strings.HasPrefix(s, "{") {
		return parseMappingJSON([]byte(s), "inline mapping")
	}
	isFile := strings.HasSuffix(strings.ToLower(s), ".json")
	if !isFile && !strings.Contains(s, "=") {
		if st, err := os.Stat(s); err == nil && st.Mode().IsRegular() {
			isFile = true
		}
	}
	if isFile {
		data, err := readSmallFile(s, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("records: reading mapping file %s: %w", s, err)
		}
		return parseMappingJSON(data, s)
	}
	return parseMappingPairs(s)
}

func readSmallFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("file is larger than %d bytes", limit)
	}
	return buf.Bytes(), nil
}

func parseMappingJSON(data []byte, what string) (*Mapping, error) {
	var mf mappingFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&mf); err != nil {
		return nil, fmt.Errorf("records: parsing %s: %w", what, err)
	}
	m := &Mapping{}
	if mf.Kind != "" {
		k := Kind(strings.ToLower(mf.Kind))
		if specFor(k) == nil {
			return nil, fmt.Errorf("records: %s: unknown kind %q", what, mf.Kind)
		}
		m.kind = k
	}
	for col, target := range mf.Columns {
		if err := m.add(col, target); err != nil {
			return nil, fmt.Errorf("records: %s: %w", what, err)
		}
	}
	if len(mf.Defaults) > 0 {
		m.defaults = map[string]string{}
		for f, v := range mf.Defaults {
			m.defaults[normName(f)] = strings.TrimSpace(v)
		}
	}
	m.sortEntries()
	return m, nil
}

func parseMappingPairs(s string) (*Mapping, error) {
	m := &Mapping{}
	for _, item := range splitPairs(s) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		eq := strings.LastIndexByte(item, '=')
		if eq < 0 {
			return nil, fmt.Errorf("records: mapping entry %q is not column=field", item)
		}
		col := unquote(strings.TrimSpace(item[:eq]))
		if err := m.add(col, strings.TrimSpace(item[eq+1:])); err != nil {
			return nil, fmt.Errorf("records: mapping: %w", err)
		}
	}
	if len(m.entries) == 0 {
		return nil, fmt.Errorf("records: mapping %q has no column=field entries", s)
	}
	m.sortEntries()
	return m, nil
}

// splitPairs splits on commas outside double quotes.
func splitPairs(s string) []string {
	var out []string
	inQ := false
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inQ = !inQ
		case ',':
			if !inQ {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return s
}

func (m *Mapping) add(col, target string) error {
	n := normName(col)
	if n == "" {
		return fmt.Errorf("empty column name (target %q)", target)
	}
	if strings.TrimSpace(target) == "" {
		return fmt.Errorf("column %q has an empty target", col)
	}
	for _, e := range m.entries {
		if e.norm == n {
			return fmt.Errorf("column %q is mapped twice", col)
		}
	}
	m.entries = append(m.entries, mapEntry{norm: n, column: strings.TrimSpace(col), target: strings.TrimSpace(target)})
	return nil
}

func (m *Mapping) sortEntries() {
	sort.Slice(m.entries, func(i, j int) bool { return m.entries[i].norm < m.entries[j].norm })
}

// colKind says what a column feeds.
type colKind uint8

const (
	ckExtra   colKind = iota // unknown column: kept as an extra property/trait
	ckField                  // a field of the kind
	ckIgnore                 // deliberately not imported
	ckProp                   // property.NAME
	ckTrait                  // trait.NAME
	ckProduct                // product.NAME (orders)
)

type colTarget struct {
	k     colKind
	field int
	name  string // output name for extras and named targets
}

// binding is a header resolved against a kind and a mapping.
type binding struct {
	spec      *kindSpec
	dialect   dialect
	header    []string // column names as written
	cols      []colTarget
	fieldCols [][]int  // per field: columns in priority order
	defaults  [][]byte // per field
	extras    []int    // ckExtra columns, header order
	named     []int    // ckProp, ckTrait, ckProduct columns, header order
	decComma  bool
}

// parseTarget resolves a mapping target for a kind.
func parseTarget(spec *kindSpec, target string, ready bool) (colTarget, error) {
	t := strings.TrimSpace(target)
	lt := strings.ToLower(t)
	switch {
	case lt == "ignore" || lt == "-":
		return colTarget{k: ckIgnore}, nil
	case strings.HasPrefix(lt, "property.") || strings.HasPrefix(lt, "properties."):
		name := t[strings.IndexByte(t, '.')+1:]
		if name == "" || !spec.allowProperty {
			return colTarget{}, fmt.Errorf("target %q is not allowed for kind %s", target, spec.kind)
		}
		return colTarget{k: ckProp, name: name}, nil
	case strings.HasPrefix(lt, "trait.") || strings.HasPrefix(lt, "traits."):
		name := t[strings.IndexByte(t, '.')+1:]
		if name == "" || !spec.allowTrait {
			return colTarget{}, fmt.Errorf("target %q is not allowed for kind %s", target, spec.kind)
		}
		return colTarget{k: ckTrait, name: name}, nil
	case strings.HasPrefix(lt, "product.") || strings.HasPrefix(lt, "products."):
		name := t[strings.IndexByte(t, '.')+1:]
		if name == "" || !spec.allowProduct {
			return colTarget{}, fmt.Errorf("target %q is not allowed for kind %s", target, spec.kind)
		}
		return colTarget{k: ckProduct, name: name}, nil
	}
	n := normName(t)
	if ready {
		if f, ok := spec.lookupAny(n); ok {
			return colTarget{k: ckField, field: f}, nil
		}
	} else if f, ok := spec.byName[n]; ok {
		return colTarget{k: ckField, field: f}, nil
	}
	return colTarget{}, fmt.Errorf("unknown target field %q for kind %s", target, spec.kind)
}

// defaultRequired lists, per kind, the fields that must have a column (any
// one of each group).
func defaultRequired(k Kind) [][]int {
	switch k {
	case KindOrders:
		return [][]int{{oOrderID}, {oTimestamp}}
	case KindCustomers:
		return [][]int{{cCustomerID, cEmail, cAnonymousID}}
	case KindReviews:
		return [][]int{{rProductID}, {rRating}, {rTimestamp}}
	case KindAdSpend:
		return [][]int{{aDate}, {aChannel}, {aSpend}, {aCurrency}}
	case KindEvents:
		return [][]int{{eUserID, eAnonymousID}, {eEvent, eType}}
	}
	return nil
}

// bind resolves a header. Errors name the offending column.
func bind(header []string, spec *kindSpec, m *Mapping, decComma bool) (*binding, error) {
	b := &binding{
		spec:      spec,
		header:    header,
		cols:      make([]colTarget, len(header)),
		fieldCols: make([][]int, len(spec.fields)),
		defaults:  make([][]byte, len(spec.fields)),
		decComma:  decComma,
	}
	if m == nil {
		m = &Mapping{}
	}
	if m.kind != "" && m.kind != spec.kind {
		if m.name != "" {
			return nil, fmt.Errorf("records: ready mapping %q is for kind %s, not %s", m.name, m.kind, spec.kind)
		}
		return nil, fmt.Errorf("records: the mapping is for kind %s, not %s", m.kind, spec.kind)
	}
	b.dialect = m.dialect
	ready := m.name != ""
	entry := map[string]int{}
	for i, e := range m.entries {
		entry[e.norm] = i
	}
	seen := map[string]int{}
	used := make([]bool, len(m.entries))
	prio := make([][]int, len(spec.fields)) // per field: entry index (or -1) per column
	for c, h := range header {
		n := normName(h)
		if n == "" {
			n = fmt.Sprintf("column_%d", c+1)
		}
		if prev, dup := seen[n]; dup {
			return nil, fmt.Errorf("records: header: column %q (column %d) repeats column %q (column %d)", h, c+1, header[prev], prev+1)
		}
		seen[n] = c
		var t colTarget
		ei, mapped := entry[n]
		switch {
		case mapped:
			used[ei] = true
			var err error
			t, err = parseTarget(spec, m.entries[ei].target, ready)
			if err != nil {
				return nil, fmt.Errorf("records: mapping for column %q: %w", h, err)
			}
		case ready:
			t = colTarget{k: ckExtra}
			ei = len(m.entries)
			if m.extraRule != nil {
				if tgt, ok := m.extraRule(n); ok {
					var err error
					if t, err = parseTarget(spec, tgt, true); err != nil {
						return nil, err
					}
				}
			}
		default:
			if f, ok := spec.byName[n]; ok {
				t = colTarget{k: ckField, field: f}
			}
			ei = -1
		}
		if t.k == ckExtra {
			t.name = n
		}
		b.cols[c] = t
		switch t.k {
		case ckField:
			if len(b.fieldCols[t.field]) > 0 && !ready {
				prev := b.fieldCols[t.field][0]
				return nil, fmt.Errorf("records: header: columns %q and %q both map to field %s", header[prev], h, spec.fields[t.field].name)
			}
			b.fieldCols[t.field] = append(b.fieldCols[t.field], c)
			prio[t.field] = append(prio[t.field], ei)
		case ckExtra:
			b.extras = append(b.extras, c)
		case ckProp, ckTrait, ckProduct:
			b.named = append(b.named, c)
		}
	}
	// ready mappings: table order is priority order
	for f, cs := range b.fieldCols {
		if len(cs) > 1 {
			p := prio[f]
			sort.SliceStable(cs, func(i, j int) bool { return p[i] < p[j] })
		}
	}
	if !ready {
		for i, e := range m.entries {
			if !used[i] {
				return nil, fmt.Errorf("records: mapping names column %q, which is not in the header", e.column)
			}
		}
	}
	for name, v := range m.defaults {
		f, ok := spec.byName[name]
		if !ok {
			return nil, fmt.Errorf("records: mapping default for unknown field %q of kind %s", name, spec.kind)
		}
		if v == "" {
			continue
		}
		if _, reason := normalize(nil, spec.fields[f].typ, []byte(v), false); reason != "" {
			return nil, fmt.Errorf("records: mapping default for field %s %s", spec.fields[f].name, reason)
		}
		b.defaults[f] = []byte(v)
	}
	req := m.required
	if req == nil {
		req = defaultRequired(spec.kind)
	}
	for _, alts := range req {
		ok := false
		var names []string
		for _, f := range alts {
			if len(b.fieldCols[f]) > 0 || b.defaults[f] != nil {
				ok = true
			}
			names = append(names, fmt.Sprintf("%q", columnLabel(m, spec, f)))
		}
		if !ok {
			if len(names) == 1 {
				return nil, fmt.Errorf("records: header: missing required column %s", names[0])
			}
			return nil, fmt.Errorf("records: header: missing required column: one of %s", strings.Join(names, ", "))
		}
	}
	return b, nil
}

// columnLabel names the column a field is expected in, for header errors.
func columnLabel(m *Mapping, spec *kindSpec, f int) string {
	if m != nil {
		for _, e := range m.entries {
			if normName(e.target) == spec.fields[f].name {
				return e.column
			}
		}
	}
	return spec.fields[f].name
}

// colName names a field's column in row errors: the header text of the
// column it came from, else the field name.
func (b *binding) colName(f, col int) string {
	if col >= 0 && col < len(b.header) {
		return b.header[col]
	}
	if len(b.fieldCols[f]) > 0 {
		return b.header[b.fieldCols[f][0]]
	}
	return b.spec.fields[f].name
}
