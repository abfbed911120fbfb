package pii

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/tradewind/tradewind/internal/segment"
)

const identifyMsg = `{
  "type": "identify",
  "userId": "97980cfea0067",
  "anonymousId": "507f191e810c19729de860ea",
  "messageId": "022bb90c-bbac-11e4-8dfc-aa07a5b093db",
  "timestamp": "2026-02-23T22:28:55.111Z",
  "traits": {
    "name": "Peter Gibbons",
    "firstName": "Peter",
    "lastName": "Gibbons",
    "email": "Peter.Gibbons+shop@Gmail.com",
    "phone": "07700 900123",
    "plan": "premium",
    "logins": 5,
    "birthday": "1985-04-12",
    "address": {"street": "6th St", "city": "San Francisco", "state": "CA", "postalCode": 94103, "country": "USA"},
    "company": {"name": "Initech", "id": 42, "industry": "Technology"},
    "createdAt": "2015-02-23T22:28:55.111Z",
    "email_verified": true,
    "nickname": null
  },
  "context": {
    "ip": "203.0.113.9",
    "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15",
    "locale": "en-GB",
    "device": {"id": "B5372DB0-C21E-11E4-8DFC-AA07A5B093DB", "advertisingId": "7A3CBEA0-BDF5-11E4-8DFC-AA07A5B093DB", "manufacturer": "Apple", "model": "iPhone7,2", "type": "ios"},
    "location": {"city": "San Francisco", "country": "United States", "latitude": 40.2964197, "longitude": -76.9411617},
    "library": {"name": "analytics.js", "version": "2.11.1"},
    "page": {"path": "/account", "url": "https://shop.example.com/account", "title": "Account"}
  }
}`

const orderMsg = `{
  "type": "track",
  "event": "Order Completed",
  "userId": "97980cfea0067",
  "messageId": "9a1b2c3d",
  "properties": {
    "checkout_id": "fksdjfsdjfisjf9sdfjsd9f",
    "order_id": "50314b8e9bcf000000000000",
    "order_number": "4111111111111111",
    "affiliation": "Google Store",
    "total": 27.50, "subtotal": 22.50, "revenue": 25.00, "shipping": 3, "tax": 2, "discount": 2.5,
    "coupon": "hasbros",
    "currency": "USD",
    "contact_email": "peter@example.com",
    "contact_phone": "+44 7700 900456",
    "note": "leave at the door",
    "shipping_address": {"name": "Peter Gibbons", "street": "6th St", "city": "San Francisco", "postal_code": "94103", "country": "US", "id": 77},
    "products": [
      {"product_id": "507f1f77bcf86cd799439011", "sku": "45790-32", "name": "Monopoly: 3rd Edition", "price": 19, "quantity": 1, "category": "Games", "url": "https://www.example.com/product/path", "image_url": "https://www.example.com/product/path.jpg"},
      {"product_id": "505bd76785ebb509fc183733", "sku": "46493-32", "name": "Uno Card Game", "price": 3, "quantity": 2, "category": "Games", "ean": "4006381333931"}
    ]
  },
  "context": {"ip": "203.0.113.9", "library": {"name": "analytics-ruby", "version": "2.4.0"}}
}`

// trackMsg is a track event of about 400 bytes without personal data.
const trackMsg = `{"type":"track","event":"Product Viewed","userId":"u_8f3a2c91","anonymousId":"3b8e5f1c-6a7d-4b2e-9f0a-1c2d3e4f5a6b","messageId":"m-000123","timestamp":"2026-03-01T10:00:00.000Z","properties":{"product_id":"507f1f77bcf86cd799439011","sku":"G-32","category":"Games","name":"Monopoly: 3rd Edition","brand":"Hasbro","price":18.99,"currency":"USD","quantity":1},"context":{"library":{"name":"analytics.js","version":"5.2.0"},"locale":"en-GB","page":{"path":"/p/monopoly","url":"https://shop.example.com/p/monopoly"}}}`

// trackMediumMsg adds the IP address and user agent browsers send.
const trackMediumMsg = `{"type":"track","event":"Product Viewed","userId":"u_8f3a2c91","messageId":"m-000124","timestamp":"2026-03-01T10:00:00.000Z","properties":{"product_id":"507f1f77bcf86cd799439011","sku":"G-32","category":"Games","name":"Monopoly: 3rd Edition","price":18.99,"currency":"USD"},"context":{"ip":"203.0.113.9","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36","locale":"en-GB","page":{"url":"https://shop.example.com/p/monopoly"}}}`

func newEncryptor(keys Keys) *Encryptor {
	return &Encryptor{Keys: keys, IndexKey: testIndexKey}
}

// encrypt parses msg, encrypts it and returns the result and the message's
// new bytes.
func encrypt(t testing.TB, e *Encryptor, msg, subject, region string) (Result, []byte) {
	t.Helper()
	var p fastjson.Parser
	v, err := p.Parse(msg)
	if err != nil {
		t.Fatal(err)
	}
	var a fastjson.Arena
	res, err := e.Encrypt(v, subject, region, &a)
	if err != nil {
		t.Fatal(err)
	}
	return res, v.MarshalTo(nil)
}

func tokenPaths(res Result) []string {
	var s []string
	for _, tk := range res.Tokens {
		s = append(s, tk.Kind+"@"+tk.Path)
	}
	return s
}

func TestEncryptIdentify(t *testing.T) {
	keys := newMemKeys()
	e := newEncryptor(keys)
	res, out := encrypt(t, e, identifyMsg, "u:web:97980cfea0067", "GB")

	for _, secret := range []string{"Peter", "Gibbons", "Gmail", "gmail", "7700", "900123", "6th St", "94103", "1985-04-12"} {
		if bytes.Contains(out, []byte(secret)) {
			t.Errorf("output holds %q:\n%s", secret, out)
		}
	}
	for _, clear := range []string{"Initech", "premium", `"logins":5`, "San Francisco", "203.0.113.9", `"email_verified":true`, `"nickname":null`, "97980cfea0067"} {
		if !bytes.Contains(out, []byte(clear)) {
			t.Errorf("output lost %q", clear)
		}
	}
	if !res.Changed {
		t.Error("not changed")
	}
	// name, firstName, lastName, email, phone, birthday, 5 address members.
	if res.HighFields != 11 {
		t.Errorf("HighFields = %d", res.HighFields)
	}
	if got := tokenPaths(res); !reflect.DeepEqual(got, []string{"email@traits.email", "phone@traits.phone"}) {
		t.Errorf("tokens %v", got)
	}
	wantTok := BlindIndex(testIndexKey, KindEmail, "petergibbons@gmail.com")
	if res.Tokens[0].Token != wantTok {
		t.Error("email token is not the normalised email's blind index")
	}
	if res.Tokens[1].Token != BlindIndex(testIndexKey, KindPhone, "+447700900123") {
		t.Error("phone token is not the E.164 number's blind index")
	}
	wantMedium := []string{"context.ip", "context.userAgent", "context.device.id", "context.device.advertisingId",
		"context.location.latitude", "context.location.longitude"}
	if !reflect.DeepEqual(res.MediumFields, wantMedium) {
		t.Errorf("medium %v", res.MediumFields)
	}
	if keys.calls() != 1 {
		t.Errorf("KeyFor called %d times", keys.calls())
	}

	// Every sealed field decrypts at its path, and only there.
	v := fastjson.MustParseBytes(out)
	for path, want := range map[string]string{
		"traits.email":              "Peter.Gibbons+shop@Gmail.com",
		"traits.phone":              "07700 900123",
		"traits.name":               "Peter Gibbons",
		"traits.address.street":     "6th St",
		"traits.address.postalCode": "94103", // a number: its JSON text
	} {
		env := string(v.GetStringBytes(strings.Split(path, ".")...))
		got, err := Decrypt(keys, path, env)
		if err != nil || got != want {
			t.Errorf("%s: %q, %v", path, got, err)
		}
	}
	if env := string(v.GetStringBytes("traits", "email")); !strings.HasPrefix(env, "tw1.email.0."+string(wantTok)+".") {
		t.Errorf("email envelope %q", env)
	}

	// The whole message decrypts back to the original.
	plain, err := DecryptJSON(keys, out, isDestroyed)
	if err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, plain, []byte(identifyMsg))

	// Masked for readers without the PII permission.
	masked, err := MaskJSON(keys, out, isDestroyed)
	if err != nil {
		t.Fatal(err)
	}
	mv := fastjson.MustParseBytes(masked)
	for path, want := range map[string]string{
		"traits.email":              "P***@G***.com",
		"traits.phone":              "***** ***123", // national: no country code to show
		"traits.name":               "P***",
		"traits.address.postalCode": "9***",
		"traits.plan":               "premium",
	} {
		if got := string(mv.GetStringBytes(strings.Split(path, ".")...)); got != want {
			t.Errorf("masked %s = %q, want %q", path, got, want)
		}
	}

	// Erased: the key is destroyed, values show as "[erased]".
	keys.destroy("u:web:97980cfea0067")
	erased, err := DecryptJSON(keys, out, isDestroyed)
	if err != nil {
		t.Fatal(err)
	}
	ev := fastjson.MustParseBytes(erased)
	if got := string(ev.GetStringBytes("traits", "email")); got != Erased {
		t.Errorf("erased email shows %q", got)
	}
	if got := string(ev.GetStringBytes("traits", "plan")); got != "premium" {
		t.Errorf("plan %q", got)
	}
	if m, err := MaskJSON(keys, out, isDestroyed); err != nil || !bytes.Contains(m, []byte(`"email":"[erased]"`)) {
		t.Errorf("masked erased: %s %v", m, err)
	}
	// Without a way to recognise a destroyed key, the key store's error
	// fails the document, naming the path.
	if _, err := DecryptJSON(keys, out, nil); err == nil || !errors.Is(err, errDestroyed) || !strings.Contains(err.Error(), "traits.") {
		t.Errorf("no erased predicate: %v", err)
	}
}

func assertSameJSON(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON differs:\n got %s\nwant %s", got, want)
	}
}

func TestEncryptOrderCompleted(t *testing.T) {
	keys := newMemKeys()
	e := newEncryptor(keys)
	res, out := encrypt(t, e, orderMsg, "u:shop:97980cfea0067", "US")
	for _, secret := range []string{"peter@example.com", "Peter", "7700", "900456", "6th St", "94103"} {
		if bytes.Contains(out, []byte(secret)) {
			t.Errorf("output holds %q", secret)
		}
	}
	// Products, money, ids, the order number and barcode stay as they were.
	for _, clear := range []string{"Monopoly: 3rd Edition", "Uno Card Game", "50314b8e9bcf000000000000", `"order_number":"4111111111111111"`,
		`"ean":"4006381333931"`, "45790-32", `"total":27.50`, `"price":19`, "hasbros", "leave at the door", `"id":77`, "San Francisco"} {
		if clear == "San Francisco" {
			if bytes.Contains(out, []byte(clear)) {
				t.Error("a shipping address's city is in clear")
			}
			continue
		}
		if !bytes.Contains(out, []byte(clear)) {
			t.Errorf("output lost %q", clear)
		}
	}
	if got := tokenPaths(res); !reflect.DeepEqual(got, []string{"email@properties.contact_email", "phone@properties.contact_phone"}) {
		t.Errorf("tokens %v", got)
	}
	if res.HighFields != 7 { // 2 contacts + 5 address members
		t.Errorf("HighFields = %d", res.HighFields)
	}
	// The store can still read it: validation passes on the encrypted form.
	v := fastjson.MustParseBytes(out)
	if _, err := segment.Validate(v, segment.Track); err != nil {
		t.Errorf("encrypted message no longer validates: %v", err)
	}
	plain, err := DecryptJSON(keys, out, isDestroyed)
	if err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, plain, []byte(orderMsg))
}

func TestEncryptNoPII(t *testing.T) {
	keys := newMemKeys()
	e := newEncryptor(keys)
	res, out := encrypt(t, e, trackMsg, "u:web:u_8f3a2c91", "GB")
	if res.Changed || res.HighFields != 0 || len(res.Tokens) != 0 || len(res.MediumFields) != 0 {
		t.Errorf("result %+v", res)
	}
	if keys.calls() != 0 {
		t.Error("KeyFor called for a message without personal fields")
	}
	assertSameJSON(t, out, []byte(trackMsg))

	res, _ = encrypt(t, e, trackMediumMsg, "u:web:u_8f3a2c91", "GB")
	if res.Changed || keys.calls() != 0 || !slices.Equal(res.MediumFields, []string{"context.ip", "context.userAgent"}) {
		t.Errorf("result %+v", res)
	}
	// No subject, no key store: fine while there is nothing to seal.
	if _, err := (&Encryptor{}).Encrypt(fastjson.MustParse(trackMsg), "", "", nil); err != nil {
		t.Error(err)
	}
}

func TestEncryptAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	e := newEncryptor(newMemKeys())
	for _, msg := range []string{trackMsg, trackMediumMsg} {
		var p fastjson.Parser
		v := fastjson.MustParse(msg)
		_ = p
		var a fastjson.Arena
		e.Encrypt(v, "u:web:1", "GB", &a) // intern the Medium paths
		n := testing.AllocsPerRun(100, func() {
			if _, err := e.Encrypt(v, "u:web:1", "GB", &a); err != nil {
				t.Fatal(err)
			}
		})
		if n != 0 {
			t.Errorf("Encrypt of a message without High fields allocates %.0f times", n)
		}
	}
}

func TestEncryptIdempotent(t *testing.T) {
	keys := newMemKeys()
	e := newEncryptor(keys)
	res1, out1 := encrypt(t, e, identifyMsg, "u:web:97980cfea0067", "GB")
	res2, out2 := encrypt(t, e, string(out1), "u:web:97980cfea0067", "GB")
	if res2.Changed {
		t.Error("re-encrypting changed the message")
	}
	if !bytes.Equal(out1, out2) {
		t.Errorf("second pass changed bytes:\n%s\n%s", out1, out2)
	}
	if res2.HighFields != res1.HighFields || !reflect.DeepEqual(res2.Tokens, res1.Tokens) || !reflect.DeepEqual(res2.MediumFields, res1.MediumFields) {
		t.Errorf("results differ:\n%+v\n%+v", res1, res2)
	}
	if keys.calls() != 1 {
		t.Errorf("KeyFor calls %d", keys.calls())
	}
	// A message carrying an envelope and a new plaintext field seals only
	// the new one.
	v := fastjson.MustParseBytes(out1)
	v.Get("traits").Set("mobile", fastjson.MustParse(`"+44 7700 900999"`))
	res3, err := e.Encrypt(v, "u:web:97980cfea0067", "GB", &fastjson.Arena{})
	if err != nil {
		t.Fatal(err)
	}
	if !res3.Changed || res3.HighFields != res1.HighFields+1 || len(res3.Tokens) != 3 {
		t.Errorf("result %+v", res3)
	}
	if !bytes.Contains(v.MarshalTo(nil), out1[bytes.Index(out1, []byte(`"email":`)):][:60]) {
		t.Error("the existing envelope was re-sealed")
	}
}

func TestEncryptNonStringValues(t *testing.T) {
	keys := newMemKeys()
	e := newEncryptor(keys)
	e.Classifier = NewClassifier(map[string]Tier{
		"properties.loyalty":  High, // an object, sealed whole
		"properties.vip":      High, // a boolean
		"properties.tags":     High, // an array
		"properties.score":    High, // a number
		"properties.passcode": High, // a string
	})
	msg := `{"type":"track","event":"Joined","userId":"u1","properties":{
		"loyalty": {"card": "L-123", "points": 1200, "tier": {"name": "gold"}},
		"vip": true, "tags": ["a", 1, null], "score": 1e3, "passcode": "open sesame",
		"phone": 447700900123, "zip": 94103, "nothing": null, "empty": ""}}`
	res, out := encrypt(t, e, msg, "u:web:u1", "GB")
	v := fastjson.MustParseBytes(out)
	for _, k := range []string{"loyalty", "vip", "tags", "score", "passcode", "phone", "zip"} {
		s := string(v.GetStringBytes("properties", k))
		if !IsEnvelope(s) {
			t.Errorf("%s not sealed: %s", k, v.Get("properties", k))
		}
	}
	if v.Get("properties", "nothing").Type() != fastjson.TypeNull || string(v.GetStringBytes("properties", "empty")) != "" {
		t.Error("null or empty string changed")
	}
	if res.HighFields != 7 {
		t.Errorf("HighFields %d", res.HighFields)
	}
	got, err := Decrypt(keys, "properties.loyalty", string(v.GetStringBytes("properties", "loyalty")))
	if err != nil || got != `{"card":"L-123","points":1200,"tier":{"name":"gold"}}` {
		t.Errorf("loyalty %q %v", got, err)
	}
	if e, _ := ParseEnvelope(string(v.GetStringBytes("properties", "phone"))); e.Kind != KindPhone {
		t.Errorf("numeric phone kind %q", e.Kind)
	}
	plain, err := DecryptJSON(keys, out, isDestroyed)
	if err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, plain, []byte(msg))
	if !bytes.Contains(plain, []byte(`"score":1e3`)) {
		t.Errorf("number text not restored exactly: %s", plain)
	}
}

func TestEncryptDoesNotTouchSharedValues(t *testing.T) {
	// Ingest merges a batch's context into each message by reference.
	batchCtx := fastjson.MustParse(`{"traits":{"email":"shared@example.com","plan":"pro"},"library":{"name":"x"}}`)
	before := batchCtx.String()
	keys := newMemKeys()
	e := newEncryptor(keys)
	var outs [][]byte
	for _, uid := range []string{"a", "b"} {
		v := fastjson.MustParse(`{"type":"track","event":"E","userId":"` + uid + `","context":{"locale":"en"}}`)
		ctx := v.Get("context")
		batchCtx.GetObject().Visit(func(k []byte, bv *fastjson.Value) { ctx.Set(string(k), bv) })
		res, err := e.Encrypt(v, "u:web:"+uid, "", &fastjson.Arena{})
		if err != nil || !res.Changed {
			t.Fatal(res, err)
		}
		outs = append(outs, v.MarshalTo(nil))
	}
	if batchCtx.String() != before {
		t.Errorf("shared batch context changed:\n%s\n%s", before, batchCtx)
	}
	// Each message sealed the shared email under its own subject's key.
	for i, out := range outs {
		env := string(fastjson.MustParseBytes(out).GetStringBytes("context", "traits", "email"))
		e, err := ParseEnvelope(env)
		if err != nil || e.KeyID != uint64(i) {
			t.Errorf("message %d: key %d, %v", i, e.KeyID, err)
		}
	}
}

func TestEncryptErrors(t *testing.T) {
	keys := newMemKeys()
	e := newEncryptor(keys)
	// Duplicate roots are ambiguous.
	_, err := e.Encrypt(fastjson.MustParse(`{"type":"identify","userId":"u","traits":{"plan":"a"},"traits":{"email":"x@example.com"}}`), "u:w:u", "", &fastjson.Arena{})
	var fe *segment.FieldError
	if !errors.As(err, &fe) || fe.Field != "traits" {
		t.Errorf("duplicate traits: %v", err)
	}
	// The key store fails: the message is left as it was.
	keys.failKeyFor = errors.New("disk full")
	v := fastjson.MustParse(identifyMsg)
	before := v.String()
	if _, err := e.Encrypt(v, "u:web:1", "", &fastjson.Arena{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("KeyFor failure: %v", err)
	}
	if v.String() != before {
		t.Error("message changed on error")
	}
	keys.failKeyFor = nil
	for name, enc := range map[string]*Encryptor{
		"no keys":      {IndexKey: testIndexKey},
		"no index key": {Keys: keys},
	} {
		if _, err := enc.Encrypt(fastjson.MustParse(identifyMsg), "u:web:1", "", nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := e.Encrypt(fastjson.MustParse(identifyMsg), "", "", nil); err == nil {
		t.Error("no subject: no error")
	}
	if _, err := e.Encrypt(fastjson.MustParse(`[1]`), "s", "", nil); err == nil {
		t.Error("array message: no error")
	}
	// A nil arena is allowed.
	if res, err := e.Encrypt(fastjson.MustParse(identifyMsg), "u:web:1", "", nil); err != nil || !res.Changed {
		t.Errorf("nil arena: %v", err)
	}
}

func TestEncryptGroupTraits(t *testing.T) {
	e := newEncryptor(newMemKeys())
	_, out := encrypt(t, e, `{"type":"group","groupId":"g1","userId":"u1","traits":{"name":"Initech","email":"billing@initech.example","employees":300},"context":{"traits":{"name":"Peter Gibbons"}}}`, "u:web:u1", "")
	v := fastjson.MustParseBytes(out)
	if got := string(v.GetStringBytes("traits", "name")); got != "Initech" {
		t.Errorf("group name %q", got)
	}
	if !IsEnvelope(string(v.GetStringBytes("traits", "email"))) || !IsEnvelope(string(v.GetStringBytes("context", "traits", "name"))) {
		t.Errorf("group message: %s", out)
	}
}

func TestEncryptOverridesOnTheHotPath(t *testing.T) {
	e := newEncryptor(newMemKeys())
	e.Classifier = NewClassifier(map[string]Tier{
		"properties.*.vat_number": High,
		"properties.raw":          Low,
		"traits.address.country":  Low,
		"properties.seat":         Medium,
	})
	res, out := encrypt(t, e, `{"type":"track","event":"E","userId":"u","traits":{"address":{"city":"Paris","country":"FR"}},
		"properties":{"company":{"vat_number":"FR40303265045"},"raw":{"email":"jane@example.com"},"seat":{"row":3}}}`, "u:w:u", "")
	v := fastjson.MustParseBytes(out)
	if !IsEnvelope(string(v.GetStringBytes("properties", "company", "vat_number"))) || !IsEnvelope(string(v.GetStringBytes("traits", "address", "city"))) {
		t.Errorf("not sealed: %s", out)
	}
	if string(v.GetStringBytes("properties", "raw", "email")) != "jane@example.com" || string(v.GetStringBytes("traits", "address", "country")) != "FR" {
		t.Errorf("Low override not honoured: %s", out)
	}
	if !slices.Equal(res.MediumFields, []string{"properties.seat"}) {
		t.Errorf("medium %v", res.MediumFields)
	}
}

func TestFjSpecial(t *testing.T) {
	naive := func(s []byte) bool {
		for _, c := range s {
			if c < 0x20 || c == '"' || c == '\\' {
				return true
			}
		}
		return false
	}
	rnd := uint64(1)
	next := func() byte {
		rnd ^= rnd << 13
		rnd ^= rnd >> 7
		rnd ^= rnd << 17
		return byte(rnd)
	}
	alphabet := []byte{'a', 'Z', '0', ' ', '"', '\\', 0, 0x1f, 0x20, 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff}
	for i := 0; i < 200000; i++ {
		s := make([]byte, int(next())%40)
		for j := range s {
			if next()%4 == 0 {
				s[j] = next()
			} else {
				s[j] = alphabet[int(next())%len(alphabet)]
				if next()%3 != 0 {
					s[j] = 'a' + next()%26
				}
			}
		}
		if fjSpecial(s) != naive(s) {
			t.Fatalf("fjSpecial(%q) = %v", s, fjSpecial(s))
		}
	}
}

// fastjson writes a string it has unescaped that holds a quote or backslash
// and a control character, DEL or invalid UTF-8 with Go's escapes (\x01,
// \a), which JSON lacks. Encrypt reads every string it walks, so it must
// hand back a message that still writes as valid JSON, whether or not it
// sealed anything.
func TestEncryptKeepsJSONValid(t *testing.T) {
	for _, msg := range []string{
		`{"type":"track","event":"a\"\u0007","properties":{"q":"say \"hi\"\u0001","k\"\u007f":1}}`,
		`{"type":"track","event":"E","properties":{"q":"say \"hi\"\u0001","email":"jane@example.com"}}`,
		"{\"type\":\"track\",\"event\":\"E\",\"properties\":{\"q\":\"\\\"\xff\"}}",
	} {
		v := fastjson.MustParse(msg)
		v.GetStringBytes("event") // as segment.Validate does
		e := newEncryptor(newMemKeys())
		if _, err := e.Encrypt(v, "u:w:1", "", &fastjson.Arena{}); err != nil {
			t.Fatal(err)
		}
		out := v.MarshalTo(nil)
		if !json.Valid(out) {
			t.Errorf("invalid JSON out of %s:\n%s", msg, out)
		}
		want := appendJSON(nil, fastjson.MustParse(msg))
		if plain, err := DecryptJSON(e.Keys, out, isDestroyed); err != nil || !sameJSON(plain, want) {
			t.Errorf("round trip of %s: %s %v", msg, plain, err)
		}
	}
}
