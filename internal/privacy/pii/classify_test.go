package pii

import (
	"testing"
)

func TestClassifyByName(t *testing.T) {
	c := NewClassifier(nil)
	tests := []struct {
		path, value string
		want        Tier
	}{
		// Email, phone in every spelling.
		{"traits.email", "x", High},
		{"context.traits.email", "x", High},
		{"traits.Email", "x", High},
		{"properties.customer_email", "x", High},
		{"properties.billingEmail", "x", High},
		{"traits.email_address", "x", High},
		{"traits.e-mail", "x", High},
		{"traits.phone", "x", High},
		{"traits.phoneNumber", "x", High},
		{"traits.phone_number", "x", High},
		{"traits.mobile", "x", High},
		{"traits.mobile_no", "x", High},
		{"traits.tel", "x", High},
		{"traits.homePhone", "x", High},
		{"properties.手机号码", "x", High},
		{"properties.邮箱", "x", High},
		// Addresses: fields and whole objects.
		{"traits.address", "1 Main St", High},
		{"traits.street", "x", High},
		{"traits.address1", "x", High},
		{"traits.address_line_2", "x", High},
		{"properties.line1", "x", High},
		{"traits.zip", "x", High},
		{"traits.postal_code", "x", High},
		{"traits.postcode", "x", High},
		{"traits.zipCode", "x", High},
		{"traits.address.city", "London", High},
		{"traits.address.country", "GB", High},
		{"properties.shipping_address.street", "x", High},
		{"properties.shipping_address.city", "x", High},
		{"properties.billingAddress.state", "x", High},
		{"traits.addresses.0.city", "x", High},
		{"traits.default_address.name", "Jane Doe", High},
		{"properties.收货地址", "x", High},
		// Identifiers inside an address stay in clear.
		{"traits.default_address.id", "123", Low},
		{"traits.default_address.customer_id", "123", Low},
		// Names.
		{"traits.name", "Jane Doe", High},
		{"context.traits.name", "Jane Doe", High},
		{"traits.firstName", "Jane", High},
		{"traits.first_name", "Jane", High},
		{"traits.lastName", "Doe", High},
		{"traits.surname", "Doe", High},
		{"properties.customer.name", "Jane", High},
		{"properties.recipient.name", "Jane", High},
		{"traits.name.first", "Jane", High},
		{"properties.name", "Home page", Low},            // a page's name
		{"properties.products.0.name", "Monopoly", Low},  // a product's
		{"properties.product_name", "Monopoly", Low},     // a product's
		{"traits.company.name", "Initech", Low},          // a company's
		{"properties.username", "jdoe", Low},             // a handle, by name
		{"context.app.name", "Shop", Low},                //
		{"context.library.name", "analytics.js", Low},    //
		{"context.device.name", "Jane's iPhone", Medium}, // often the owner's
		{"context.campaign.name", "spring_sale", Low},    //
		{"properties.category.name", "Games", Low},       //
		{"traits.birthday", "1990-01-01", High},
		{"traits.date_of_birth", "1990-01-01", High},
		{"traits.dob", "1990-01-01", High},
		{"properties.card_number", "x", High},
		{"properties.cvv", "123", High},
		{"properties.iban", "x", High},
		{"traits.ssn", "x", High},
		{"traits.passport_number", "x", High},
		{"traits.national_id", "x", High},
		{"traits.tax_id", "x", High},
		{"traits.tax_id_number", "x", High},
		{"traits.drivers_license", "x", High},
		{"traits.身份证号", "x", High},
		// Medium.
		{"context.ip", "203.0.113.9", Medium},
		{"properties.ip_address", "203.0.113.9", Medium},
		{"properties.IPAddress", "203.0.113.9", Medium},
		{"properties.ipv6_address", "2001:db8::1", Medium},
		{"properties.client_ip", "203.0.113.9", Medium},
		{"context.device.id", "B5372DB0-C21E-11E4-8DFC-AA07A5B093DB", Medium},
		{"context.device.advertisingId", "7A3CBEA0-BDF5-11E4-8DFC-AA07A5B093DB", Medium},
		{"context.device.token", "ff15bc0c20c4aa6cd50854ff165fd265c838e5405bfeb9571066395b8c9da449", Medium},
		{"properties.idfa", "x", Medium},
		{"context.location.latitude", "40.2964197", Medium},
		{"context.location.longitude", "-76.9411617", Medium},
		{"properties.geo.long", "-76.9", Medium},
		{"properties.lat", "40.2", Medium},
		{"context.userAgent", "Mozilla/5.0", Medium},
		// Low: names that end like personal fields but are not.
		{"traits.email_verified", "true", Low},
		{"traits.phone_count", "2", Low},
		{"traits.is_mobile", "yes", Low},
		{"properties.hotel", "Ritz", Low},
		{"properties.gzip", "yes", Low},
		{"properties.web_address", "https://example.com", Low},
		{"properties.product_line", "Toys", Low},
		{"properties.flat", "yes", Low},
		{"properties.salon", "x", Low},
		{"properties.automobile", "x", Low},
		{"properties.iphone", "x", Low},
		{"properties.long", "true", Low},
		{"context.device.type", "mobile", Low},
		{"context.locale", "en-GB", Low},
		{"context.timezone", "Europe/London", Low},
		{"context.location.city", "London", Low},
		{"context.location.country", "GB", Low},
		{"traits.city", "London", Low},
		{"traits.country", "GB", Low},
		{"traits.age", "34", Low},
		{"properties.order_id", "50314b8e9bcf000000000000", Low},
	}
	for _, tt := range tests {
		if got := c.Classify(tt.path, tt.value); got != tt.want {
			t.Errorf("Classify(%q, %q) = %s, want %s", tt.path, tt.value, got, tt.want)
		}
	}
}

func TestClassifyByContent(t *testing.T) {
	c := NewClassifier(nil)
	tests := []struct {
		value string
		want  Tier
	}{
		// True positives.
		{"jane.doe@example.com", High},
		{"  Jane.Doe@Example.CO.UK ", High},
		{"Jane Doe <jane@example.com>", High},
		{"jane+orders@gmail.com", High},
		{"用户@例子.广告", High},
		{"+44 7700 900123", High},
		{"+1 (415) 555-2671", High},
		{"+86 138 0013 8000", High},
		{"+81-90-1234-5678", High},
		{"+33.1.23.45.67.89", High},
		{"4111111111111111", High},
		{"4111 1111 1111 1111", High},
		{"4111-1111-1111-1111", High},
		{"5555555555554444", High},
		{"2223003122003222", High},
		{"378282246310005", High},
		{"36227206271667", High},
		{"3056930009020004", High},
		{"6011111111111117", High},
		{"3530111333300000", High},
		{"6200000000000005", High},
		{"GB82WEST12345698765432", High},
		{"GB82 WEST 1234 5698 7654 32", High},
		{"DE89370400440532013000", High},
		{"de89 3704 0044 0532 0130 00", High},
		{"FR1420041010050500013M02606", High},
		{"NL91ABNA0417164300", High},
		{"NO9386011117947", High},
		// False positives that must not be: order ids, SKUs, prices,
		// timestamps, UUIDs, and other things that look close.
		{"50314b8e9bcf000000000000", Low},
		{"ORD-2024-000123", Low},
		{"#1001", Low},
		{"1001", Low},
		{"5829489459421", Low},    // a 13-digit Shopify id
		{"4006381333931", Low},    // an EAN-13 barcode that passes Luhn
		{"4111111111111", Low},    // 13 digits: not accepted
		{"4111111111111112", Low}, // bad check digit
		{"1234567812345670", Low}, // passes Luhn, no scheme starts with 1
		{"1714557600000", Low},    // epoch milliseconds
		{"1714557600000000", Low}, // epoch microseconds
		{"G-32", Low},
		{"45790-32", Low},
		{"SKU-12345-XL", Low},
		{"18.99", Low},
		{"+5.00", Low},
		{"+1234567.89", Low},
		{"+08:00", Low},
		{"+0044 20 7946 0958", Low}, // no country code starts with 0
		{"2024-05-01T10:00:00.000Z", Low},
		{"2024-05-01 10:00:00", Low},
		{"550e8400-e29b-41d4-a716-446655440000", Low},
		{"DE0000000000000000000", Low},  // IBAN-shaped, wrong length
		{"GB82WEST12345698765433", Low}, // bad checksum
		{"@jane", Low},
		{"logo@2x.png", Low},
		{"v1.2@3.4", Low},
		{"git@github.com:foo/bar.git", Low},
		{"https://cdn.example.com/logo@2x.png", Low},
		{"user@localhost", Low},
		{"Monopoly: 3rd Edition", Low},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36", Low},
		{"", Low},
	}
	for _, tt := range tests {
		if got := c.Classify("properties.note", tt.value); got != tt.want {
			t.Errorf("content %q = %s, want %s", tt.value, got, tt.want)
		}
	}
	// Identifier- and code-like names skip the digit checks (their digits are
	// order numbers and barcodes), but not the email and phone checks.
	for _, tt := range []struct {
		path, value string
		want        Tier
	}{
		{"properties.order_id", "4111111111111111", Low},
		{"properties.sku", "4111111111111111", Low},
		{"properties.order_number", "4111111111111111", Low},
		{"properties.products.0.barcode", "4111111111111111", Low},
		{"properties.order_id", "jane@example.com", High},
		{"properties.user_id", "+44 7700 900123", High},
	} {
		if got := c.Classify(tt.path, tt.value); got != tt.want {
			t.Errorf("Classify(%q, %q) = %s, want %s", tt.path, tt.value, got, tt.want)
		}
	}
}

func TestLuhnAndIBAN(t *testing.T) {
	for _, tt := range []struct {
		digits string
		want   bool
	}{
		{"79927398713", true}, {"79927398710", false}, {"0", true}, {"18", true}, {"4111111111111111", true},
	} {
		d := make([]byte, len(tt.digits))
		for i := range tt.digits {
			d[i] = tt.digits[i] - '0'
		}
		if got := luhn(d); got != tt.want {
			t.Errorf("luhn(%s) = %v", tt.digits, got)
		}
	}
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{"GB82WEST12345698765432", true},
		{"GB29NWBK60161331926819", true},
		{"CH9300762011623852957", true},
		{"BE68539007547034", true},
		{"SA0380000000608010167519", true},
		{"GB82WEST1234569876543", false},  // too short
		{"XX82WEST12345698765432", false}, // no such country
		{"GB82WEST1234569876543!", false},
		{"GB82  WEST12345698765432", false}, // double space
	} {
		if got := isIBAN([]byte(tt.s)); got != tt.want {
			t.Errorf("isIBAN(%s) = %v", tt.s, got)
		}
	}
}

func TestClassifyOverrides(t *testing.T) {
	c := NewClassifier(map[string]Tier{
		"properties.*.vat_number":  High,
		"properties.loyalty_card":  High,
		"traits.address.country":   Low,
		"properties.*.*.engraving": Medium,
		"properties.raw":           Low,
		"properties.*.raw":         High,    // less specific than the exact path
		"traits.nickname":          Tier(9), // out of range: High
	})
	for _, tt := range []struct {
		path, value string
		want        Tier
	}{
		{"properties.company.vat_number", "GB123", High},
		{"properties.vat_number", "GB123", Low}, // "*" is exactly one segment
		{"properties.loyalty_card", "123", High},
		{"traits.address.country", "GB", Low},
		{"traits.address.city", "London", High},
		{"properties.products.0.engraving", "J+M", Medium},
		{"properties.raw", "jane@example.com", Low},       // override wins over content
		{"properties.raw.email", "jane@example.com", Low}, // and applies under an object
		{"properties.x.raw", "a", High},
		{"traits.nickname", "JD", High},
	} {
		if got := c.Classify(tt.path, tt.value); got != tt.want {
			t.Errorf("Classify(%q, %q) = %s, want %s", tt.path, tt.value, got, tt.want)
		}
	}
	var nilC *Classifier
	if got := nilC.Classify("traits.email", ""); got != High {
		t.Errorf("nil classifier: %s", got)
	}
}

func TestTierText(t *testing.T) {
	for _, tier := range []Tier{Low, Medium, High} {
		b, err := tier.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Tier
		if err := back.UnmarshalText(b); err != nil || back != tier {
			t.Errorf("%s round trip: %v %v", tier, back, err)
		}
	}
	if got, err := ParseTier(" HIGH "); err != nil || got != High {
		t.Errorf("ParseTier: %v %v", got, err)
	}
	if _, err := ParseTier("secret"); err == nil {
		t.Error("ParseTier accepted a bad name")
	}
	if Tier(7).String() != "Tier(7)" {
		t.Error(Tier(7).String())
	}
}
