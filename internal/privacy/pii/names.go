package pii

import (
	"hash/maphash"
	"sync/atomic"
)

// Field-name rules. A key is normalised (ASCII lower-cased, separators
// dropped, word starts remembered from separators and camelCase), trailing
// digits are set aside ("address1", "line2", "ipv4") and the rest is matched
// against the rule patterns from its end: the longest pattern that ends the
// name wins. Matching suffixes is the English head-noun rule ("customer_email",
// "billingPhone" are an email and a phone; "email_verified", "phone_count"
// are not) and needs no separators ("phonenumber", "zipcode"). Short
// patterns that end ordinary words ("tel" in "hotel", "zip" in "gzip", "lat"
// in "flat") must start at a word boundary; a few must be the whole name.
//
// The match runs on a reverse trie, so classifying a key costs a few byte
// comparisons and no allocation: ingest does it for every key of every
// message.

// class is what a field name says about its value.
type class uint8

const (
	cNone class = iota
	// High.
	cEmail
	cPhone
	cAddress
	cPersonName
	cBirth
	cPayment
	cGovID
	// Medium.
	cIP
	cDevice
	cLocation
	cUserAgent
	// Identifier-like names ("order_id", "uuid"): their digits are not card
	// numbers, and inside an address object they stay in clear (join keys).
	cID
	// Code-like names ("sku", "order_number", "coupon_code"): their digits
	// are not card numbers or IBANs.
	cCode
	// Names that end like a personal field but are not ("web_address").
	cExcluded
)

func (c class) tier() Tier {
	switch {
	case c >= cEmail && c <= cGovID:
		return High
	case c >= cIP && c <= cUserAgent:
		return Medium
	}
	return Low
}

// kind is the envelope kind of a High class.
func (c class) kind() string {
	switch c {
	case cEmail:
		return KindEmail
	case cPhone:
		return KindPhone
	}
	return KindPII
}

// Rule flags.
const (
	fBoundary = 1 << iota // the match must start a word
	fExact                // the match must be the whole name
	fDigits               // the name must end in digits ("line1")
	fStrip                // a trailing "number"/"no": classify what precedes it
)

type nameRule struct {
	pat   string
	class class
	flags uint8
}

// nameRules is the vocabulary. Extend it here; an installation extends it
// with Classifier overrides.
var nameRules = []nameRule{
	// Email.
	{"email", cEmail, 0},
	{"emails", cEmail, 0},
	{"mail", cEmail, fBoundary | fExact},
	{"emailaddress", cEmail, 0},
	{"emailaddresses", cEmail, 0},
	{"邮箱", cEmail, 0},
	{"电子邮件", cEmail, 0},
	{"电子邮箱", cEmail, 0},
	{"メール", cEmail, 0},
	{"メールアドレス", cEmail, 0},

	// Phone.
	{"phone", cPhone, fBoundary},
	{"phones", cPhone, fBoundary},
	{"phonenumber", cPhone, 0},
	{"phonenumbers", cPhone, 0},
	{"phoneno", cPhone, 0},
	{"telephone", cPhone, 0},
	{"tel", cPhone, fBoundary},
	{"telno", cPhone, 0},
	{"telnumber", cPhone, 0},
	{"mobile", cPhone, fBoundary},
	{"mobilephone", cPhone, 0},
	{"mobilenumber", cPhone, 0},
	{"mobileno", cPhone, 0},
	{"cellphone", cPhone, 0},
	{"cellnumber", cPhone, 0},
	{"homephone", cPhone, 0},
	{"workphone", cPhone, 0},
	{"contactnumber", cPhone, 0},
	{"contactno", cPhone, 0},
	{"msisdn", cPhone, 0},
	{"fax", cPhone, fBoundary},
	{"faxnumber", cPhone, 0},
	{"whatsapp", cPhone, fBoundary},
	{"手机", cPhone, 0},
	{"手机号", cPhone, 0},
	{"手机号码", cPhone, 0},
	{"电话", cPhone, 0},
	{"电话号码", cPhone, 0},
	{"联系电话", cPhone, 0},
	{"電話番号", cPhone, 0},

	// Postal address. A container with such a name makes every leaf under
	// it High (see Classifier).
	{"address", cAddress, 0},
	{"addresses", cAddress, 0},
	{"addressline", cAddress, 0},
	{"street", cAddress, fBoundary},
	{"streetaddress", cAddress, 0},
	{"streetname", cAddress, 0},
	{"streetnumber", cAddress, 0},
	{"housenumber", cAddress, 0},
	{"line", cAddress, fBoundary | fDigits},
	{"zip", cAddress, fBoundary},
	{"zipcode", cAddress, 0},
	{"postcode", cAddress, 0},
	{"postalcode", cAddress, 0},
	{"地址", cAddress, 0},
	{"住所", cAddress, 0},
	{"邮编", cAddress, 0},
	{"郵便番号", cAddress, 0},
	// ...but these addresses are not postal.
	{"ipaddress", cIP, fBoundary},
	{"ipaddresses", cIP, fBoundary},
	{"ipv4address", cIP, fBoundary},
	{"ipv6address", cIP, fBoundary},
	{"remoteaddress", cIP, 0},
	{"macaddress", cDevice, fBoundary},
	{"webaddress", cExcluded, 0},
	{"websiteaddress", cExcluded, 0},
	{"serveraddress", cExcluded, 0},
	{"hostaddress", cExcluded, 0},

	// A person's name. The bare key "name" is decided by its parent (see
	// Classifier.nameClass): it is a product's, a page's or a company's name
	// far more often than a person's.
	{"firstname", cPersonName, 0},
	{"lastname", cPersonName, 0},
	{"fullname", cPersonName, 0},
	{"givenname", cPersonName, 0},
	{"familyname", cPersonName, 0},
	{"middlename", cPersonName, 0},
	{"maidenname", cPersonName, 0},
	{"surname", cPersonName, 0},
	{"forename", cPersonName, 0},
	{"fname", cPersonName, fBoundary | fExact},
	{"lname", cPersonName, fBoundary | fExact},
	{"customername", cPersonName, 0},
	{"recipientname", cPersonName, 0},
	{"receivername", cPersonName, 0},
	{"contactname", cPersonName, 0},
	{"cardholdername", cPersonName, 0},
	{"holdername", cPersonName, 0},
	{"billingname", cPersonName, 0},
	{"shippingname", cPersonName, 0},
	{"buyername", cPersonName, 0},
	{"personname", cPersonName, 0},
	{"realname", cPersonName, 0},
	{"姓名", cPersonName, 0},
	{"收货人", cPersonName, 0},
	{"氏名", cPersonName, 0},

	// Date and place of birth.
	{"birthday", cBirth, 0},
	{"birthdate", cBirth, 0},
	{"dateofbirth", cBirth, 0},
	{"dob", cBirth, fBoundary},
	{"birthplace", cBirth, 0},
	{"placeofbirth", cBirth, 0},
	{"生日", cBirth, 0},
	{"出生日期", cBirth, 0},
	{"生年月日", cBirth, 0},

	// Payment data.
	{"cardnumber", cPayment, 0},
	{"cardno", cPayment, 0},
	{"creditcard", cPayment, 0},
	{"debitcard", cPayment, 0},
	{"ccnumber", cPayment, 0},
	{"ccnum", cPayment, 0},
	{"pan", cPayment, fBoundary | fExact},
	{"cvv", cPayment, fBoundary},
	{"cvc", cPayment, fBoundary},
	{"csc", cPayment, fBoundary | fExact},
	{"securitycode", cPayment, 0},
	{"cardverificationvalue", cPayment, 0},
	{"cardverificationcode", cPayment, 0},
	{"iban", cPayment, fBoundary},
	{"bankaccount", cPayment, 0},
	{"accountnumber", cPayment, 0},
	{"银行卡", cPayment, 0},
	{"银行卡号", cPayment, 0},

	// Government identifiers.
	{"ssn", cGovID, fBoundary},
	{"socialsecurity", cGovID, 0},
	{"socialsecuritynumber", cGovID, 0},
	{"sin", cGovID, fBoundary | fExact},
	{"nationalid", cGovID, 0},
	{"nationalidentity", cGovID, 0},
	{"nationalidentitynumber", cGovID, 0},
	{"nationalidentificationnumber", cGovID, 0},
	{"nationalinsurancenumber", cGovID, 0},
	{"nino", cGovID, fBoundary | fExact},
	{"nin", cGovID, fBoundary | fExact},
	{"passport", cGovID, fBoundary},
	{"passportnumber", cGovID, 0},
	{"passportno", cGovID, 0},
	{"taxid", cGovID, fBoundary},
	{"taxnumber", cGovID, 0},
	{"taxpayerid", cGovID, 0},
	{"tin", cGovID, fBoundary | fExact},
	{"driverslicense", cGovID, 0},
	{"driverslicence", cGovID, 0},
	{"driverlicense", cGovID, 0},
	{"driverlicence", cGovID, 0},
	{"drivinglicense", cGovID, 0},
	{"drivinglicence", cGovID, 0},
	{"licensenumber", cGovID, 0},
	{"licencenumber", cGovID, 0},
	{"idcard", cGovID, fBoundary},
	{"identitycard", cGovID, 0},
	{"identitynumber", cGovID, 0},
	{"idnumber", cGovID, fBoundary},
	{"idno", cGovID, fBoundary},
	{"personalid", cGovID, 0},
	{"personnummer", cGovID, 0},
	{"cpf", cGovID, fBoundary},
	{"curp", cGovID, fBoundary},
	{"nric", cGovID, fBoundary},
	{"hkid", cGovID, fBoundary},
	{"aadhaar", cGovID, fBoundary},
	{"aadhar", cGovID, fBoundary},
	{"pesel", cGovID, fBoundary},
	{"bsn", cGovID, fBoundary | fExact},
	{"dni", cGovID, fBoundary | fExact},
	{"nie", cGovID, fBoundary | fExact},
	{"nif", cGovID, fBoundary | fExact},
	{"codicefiscale", cGovID, 0},
	{"fiscalcode", cGovID, 0},
	{"steuerid", cGovID, 0},
	{"mynumber", cGovID, 0},
	{"residentid", cGovID, 0},
	{"residentregistrationnumber", cGovID, 0},
	{"citizenid", cGovID, 0},
	{"voterid", cGovID, 0},
	{"身份证", cGovID, 0},
	{"身份证号", cGovID, 0},
	{"身份证号码", cGovID, 0},
	{"证件号", cGovID, 0},
	{"证件号码", cGovID, 0},
	{"护照", cGovID, 0},
	{"护照号", cGovID, 0},
	{"マイナンバー", cGovID, 0},

	// IP addresses.
	{"ip", cIP, fBoundary},
	{"ips", cIP, fBoundary},
	{"ipaddr", cIP, fBoundary},
	{"ipv", cIP, fBoundary | fDigits},
	{"clientip", cIP, 0},
	{"remoteip", cIP, 0},
	{"userip", cIP, 0},
	{"remoteaddr", cIP, 0},
	{"forwardedfor", cIP, 0},

	// Device and advertising identifiers, push tokens.
	{"deviceid", cDevice, 0},
	{"advertisingid", cDevice, 0},
	{"adid", cDevice, fBoundary},
	{"idfa", cDevice, fBoundary},
	{"idfv", cDevice, fBoundary},
	{"gaid", cDevice, fBoundary},
	{"aaid", cDevice, fBoundary},
	{"androidid", cDevice, 0},
	{"ifa", cDevice, fBoundary | fExact},
	{"imei", cDevice, fBoundary},
	{"meid", cDevice, fBoundary | fExact},
	{"mac", cDevice, fBoundary | fExact},
	{"pushtoken", cDevice, 0},
	{"devicetoken", cDevice, 0},
	{"fcmtoken", cDevice, 0},
	{"apnstoken", cDevice, 0},

	// Precise location.
	{"latitude", cLocation, 0},
	{"longitude", cLocation, 0},
	{"lat", cLocation, fBoundary},
	{"lng", cLocation, fBoundary},
	{"lon", cLocation, fBoundary},
	{"latlng", cLocation, 0},
	{"latlong", cLocation, 0},
	{"coordinates", cLocation, fBoundary},
	{"coords", cLocation, fBoundary},
	{"geolocation", cLocation, 0},

	// User agent (see the package documentation for why it is Medium).
	{"useragent", cUserAgent, 0},

	// Identifier- and code-like names.
	{"id", cID, 0},
	{"ids", cID, fBoundary},
	{"uuid", cID, 0},
	{"guid", cID, 0},
	{"key", cID, fBoundary},
	{"hash", cCode, fBoundary},
	{"token", cCode, fBoundary},
	{"sku", cCode, 0},
	{"skus", cCode, 0},
	{"ref", cCode, fBoundary},
	{"reference", cCode, 0},
	{"number", cCode, fBoundary | fStrip},
	{"no", cCode, fBoundary | fStrip},
	{"num", cCode, fBoundary | fStrip},
	{"nr", cCode, fBoundary | fStrip},
	{"code", cCode, fBoundary},
	{"ean", cCode, fBoundary},
	{"upc", cCode, fBoundary},
	{"gtin", cCode, fBoundary},
	{"isbn", cCode, fBoundary},
	{"asin", cCode, fBoundary},
	{"mpn", cCode, fBoundary},
	{"barcode", cCode, 0},
	{"jan", cCode, fBoundary | fExact},
	{"version", cCode, 0},
	{"timestamp", cCode, 0},
	{"price", cCode, 0},
	{"amount", cCode, 0},
	{"total", cCode, 0},
	{"revenue", cCode, 0},
}

// trieNode is a node of the reverse trie of nameRules.
type trieNode struct {
	kids []byte  // edge labels
	next []int32 // child per label
	rule int16   // index in nameRules, -1 if no pattern ends here
}

var trie = buildTrie()

// trieRoot is the root's children by byte: the root has a child for most
// final letters, the other nodes a handful.
var trieRoot = func() (t [256]int32) {
	for i := range t {
		t[i] = -1
	}
	for j, k := range trie[0].kids {
		t[k] = trie[0].next[j]
	}
	return t
}()

func buildTrie() []trieNode {
	t := []trieNode{{rule: -1}}
	for r, nr := range nameRules {
		n := int32(0)
		for i := len(nr.pat) - 1; i >= 0; i-- {
			c := nr.pat[i]
			nx := int32(-1)
			for j, k := range t[n].kids {
				if k == c {
					nx = t[n].next[j]
					break
				}
			}
			if nx < 0 {
				t = append(t, trieNode{rule: -1})
				nx = int32(len(t) - 1)
				t[n].kids = append(t[n].kids, c)
				t[n].next = append(t[n].next, nx)
			}
			n = nx
		}
		if t[n].rule >= 0 {
			panic("pii: duplicate name rule " + nr.pat)
		}
		t[n].rule = int16(r)
	}
	return t
}

// maxName is the longest normalised key the name rules look at; a longer
// key is matched by content only. The limit keeps the analysis on the stack.
const maxName = 64

// name is a key, normalised for matching.
type name struct {
	b      [maxName]byte
	n      int    // length of the normalised name, trailing digits excluded
	starts uint64 // bit i: a word starts at b[i]
	digits int    // how many trailing digits were set aside
	ok     bool
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// analyze sets nm to key normalised: ASCII letters lower-cased, ASCII
// digits kept, bytes of other scripts kept as they are, everything else
// (separators: "_", "-", " ", ".", ...) dropped. A word starts after a separator, at an
// upper-case letter after a lower-case one ("firstName"), at the last
// capital of a run followed by a lower-case letter ("IPAddress"), and where
// letters and digits or ASCII and other scripts meet. A key longer than
// maxName leaves nm not ok.
func (nm *name) analyze(key []byte) {
	*nm = name{}
	prev := kSep
	for i := 0; i < len(key); i++ {
		c := key[i]
		k := charKind[c]
		if k == kSep {
			prev = kSep
			continue
		}
		if nm.n == maxName {
			*nm = name{}
			return
		}
		if k != prev {
			// A change of kind starts a word, except a lower-case letter
			// after a capital ("Name").
			if !(prev == kUpper && k == kLower) {
				nm.starts |= 1 << uint(nm.n)
			}
		} else if k == kUpper && i+1 < len(key) && charKind[key[i+1]] == kLower {
			// The last capital of a run before a lower-case letter starts a
			// word: "IPAddress" is "ip" "address".
			nm.starts |= 1 << uint(nm.n)
		}
		nm.b[nm.n] = lowerTab[c]
		nm.n++
		prev = k
	}
	for nm.n > 0 && isDigit(nm.b[nm.n-1]) {
		nm.n--
		nm.digits++
	}
	nm.ok = nm.n > 0
}

// Character kinds for analyze.
const (
	kSep uint8 = iota
	kLower
	kUpper
	kDigit
	kOther
)

// charKind and lowerTab classify and lower-case a key's bytes.
var charKind, lowerTab = func() (k, l [256]uint8) {
	for c := 0; c < 256; c++ {
		l[c] = uint8(c)
		switch {
		case c >= 'a' && c <= 'z':
			k[c] = kLower
		case c >= 'A' && c <= 'Z':
			k[c] = kUpper
			l[c] = uint8(c) + 'a' - 'A'
		case c >= '0' && c <= '9':
			k[c] = kDigit
		case c >= 0x80:
			k[c] = kOther
		}
	}
	return
}()

// firstWord reports whether the name's first word is w.
func (nm *name) firstWord(w string) bool {
	if nm.n < len(w) || string(nm.b[:len(w)]) != w {
		return false
	}
	return len(w) == nm.n || nm.starts&(1<<uint(len(w))) != 0
}

// match finds the longest rule that ends b[:end] and whose conditions hold;
// it returns the rule's index (-1 for none) and where the match starts.
func (nm *name) match(end, digits int) (rule, start int) {
	rule = -1
	n := int32(0)
	for i := end - 1; i >= 0; i-- {
		c := nm.b[i]
		nx := int32(-1)
		if n == 0 {
			nx = trieRoot[c]
		} else {
			node := &trie[n]
			for j, k := range node.kids {
				if k == c {
					nx = node.next[j]
					break
				}
			}
		}
		if nx < 0 {
			break
		}
		n = nx
		r := trie[n].rule
		if r < 0 {
			continue
		}
		f := nameRules[r].flags
		if f&fBoundary != 0 && nm.starts&(1<<uint(i)) == 0 {
			continue
		}
		if f&fExact != 0 && (i != 0 || end != nm.n) {
			continue
		}
		if f&fDigits != 0 && (digits == 0 || end != nm.n) {
			continue
		}
		rule, start = int(r), i
	}
	return rule, start
}

// classOf is the class a key's own name gives it, without regard to its
// parent.
func (nm *name) classOf() class {
	if !nm.ok {
		return cNone
	}
	// "is_mobile", "hasEmail": a predicate about the field, not the field.
	if nm.firstWord("is") || nm.firstWord("has") {
		return cNone
	}
	r, start := nm.match(nm.n, nm.digits)
	if r < 0 {
		return cNone
	}
	c := nameRules[r].class
	if nameRules[r].flags&fStrip != 0 && start > 0 {
		// "passport_number", "phone_no": the thing numbered decides.
		if r2, _ := nm.match(start, 0); r2 >= 0 && nameRules[r2].class.tier() > Low {
			return nameRules[r2].class
		}
	}
	return c
}

// keyInfo is what a key's name says, cached: its class, whether its
// meaning depends on its parent ("name", "long", "id", "token"), and what
// it means as a parent.
type keyInfo uint16

const (
	kiClassMask keyInfo = 0x1f
	kiName      keyInfo = 1 << 5 // "name": a person's under a person parent
	kiLong      keyInfo = 1 << 6 // "long": a longitude under a location parent
	kiIDToken   keyInfo = 1 << 7 // "id", "token": a device's under "device"
	kiPerson    keyInfo = 1 << 8 // a parent whose "name" is a person's
	kiDevice    keyInfo = 1 << 9 // "device"
	kiLocation  keyInfo = 1 << 10
	kiMangles   keyInfo = 1 << 11 // see fjMangles
)

// infoOf analyses key.
func infoOf(key []byte) keyInfo {
	var ki keyInfo
	if fjMangles(key) {
		ki = kiMangles
	}
	var nm name
	nm.analyze(key)
	if !nm.ok {
		return ki
	}
	ki |= keyInfo(nm.classOf())
	if nm.digits > 0 {
		return ki
	}
	switch string(nm.b[:nm.n]) {
	case "name":
		ki |= kiName
	case "long":
		ki |= kiLong
	case "id", "token":
		ki |= kiIDToken
	case "device":
		ki |= kiDevice
	// Objects that stand for a person: the traits of a user, a customer, a
	// recipient, ...
	case "traits", "customer", "user", "recipient", "receiver", "contact", "buyer", "person",
		"cardholder", "holder", "shipping", "billing", "shipto", "billto", "sender", "member",
		"guest", "author", "reviewer", "profile", "passenger", "consignee", "employee", "patient":
		ki |= kiPerson
	case "location", "geo", "geolocation", "coordinates", "coords", "position", "gps", "loc", "latlng", "latlong":
		ki |= kiLocation
	}
	return ki
}

// keyInfos caches infoOf by key. Messages use few distinct keys, again and
// again, so after warming up a key costs a hash and a comparison, and no
// allocation. The table is open-addressed, filled with compare-and-swap and
// never emptied, so readers take no lock and entries never move; once full
// (hostile traffic with ever new keys), a new key is analysed each time,
// which costs time, never memory.
var keyInfos [1 << 12]atomic.Pointer[keyInfoEntry]

type keyInfoEntry struct {
	key string
	ki  keyInfo
}

var keyInfoSeed = maphash.MakeSeed()

// maxProbe bounds a lookup's linear probing.
const maxProbe = 8

func lookupKey(key []byte) keyInfo {
	h := maphash.Bytes(keyInfoSeed, key)
	for p := uint64(0); p < maxProbe; p++ {
		slot := &keyInfos[(h+p)&(uint64(len(keyInfos))-1)]
		e := slot.Load()
		if e == nil {
			ki := infoOf(key)
			if len(key) <= 2*maxName {
				slot.CompareAndSwap(nil, &keyInfoEntry{key: string(key), ki: ki})
			}
			return ki
		}
		if e.key == string(key) {
			return e.ki
		}
	}
	return infoOf(key)
}

// classIn classifies a key in its place from its info ki: its own name,
// and for the few names that mean different things in different places
// ("name", "id", "token", "long"), its parent's info. groupTraits is true
// for the direct children of a group message's traits, which describe a
// company.
func classIn(ki, parent keyInfo, groupTraits bool) class {
	switch {
	case ki&kiName != 0:
		if parent&kiDevice != 0 {
			// context.device.name is often the owner's ("Jane's iPhone").
			return cDevice
		}
		if !groupTraits && parent&kiPerson != 0 {
			return cPersonName
		}
		return cNone
	case ki&kiLong != 0:
		if parent&kiLocation != 0 {
			return cLocation
		}
		return cNone
	case ki&kiIDToken != 0:
		if parent&kiDevice != 0 {
			return cDevice
		}
	}
	return class(ki & kiClassMask)
}
