// Package pii finds the personal data in Segment messages and protects it
// at ingest, before a message reaches the event log: each field gets a tier,
// and High fields are sealed under the data key of the message's subject
// (its sender identity, see Subject), so that destroying that key erases
// the person from the log, the store and every backup at once.
//
// # Tiers
//
// High fields identify or harm a person on their own; they are encrypted.
// Medium fields are quasi-identifiers that analytics need in clear; Encrypt
// reports them so that retention and display can treat them apart. Low is
// everything else.
//
// A Classifier decides, in this order:
//
//  1. Overrides (NewClassifier): an administrator's tier for a path or a
//     pattern ("properties.*.vat_number") wins over every rule below.
//  2. Ancestors. Every leaf under a postal address object ("address",
//     "shipping_address", "billing_address", "addresses": [...]) is High,
//     except identifier members ("id", "customer_id"), which are join
//     keys. Likewise every leaf under another High name ("emails": [...],
//     "name": {"first": ..., "last": ...}) is High with that name's kind,
//     and every leaf under a Medium name ("coordinates": [...]) is Medium.
//  3. The field's name, normalised: ASCII letters lower-cased and
//     separators dropped, so camelCase, snake_case and kebab-case compare
//     equal ("firstName", "first_name", "First-Name"). The rule is the
//     English head noun: the name's last word decides ("customer_email",
//     "billingPhone" are High; "email_verified", "phone_count" are not),
//     and a trailing "number"/"no" defers to what precedes it
//     ("passport_number"). High: email; phone, mobile, tel, fax; address,
//     street, address1/2, line1/2, zip, postcode, postal_code; a person's
//     first, last, full, given, family, middle name and surname; birthday,
//     date of birth, dob; card number, cvv/cvc, iban, bank account, account
//     number; ssn, passport, national id, national insurance number, tax id,
//     driving licence, id card and national ids by name (cpf, nric,
//     aadhaar, pesel, ...). A bare "name" is a person's only when its parent
//     is a person: "traits.name", "context.traits.name", "customer.name",
//     "recipient.name" — not a page's or screen's "name" (top level,
//     properties.name), not a product's ("properties.products.0.name"), not
//     "traits.company.name", and not a group message's "traits.name" (a
//     company). Common Chinese and Japanese keys (邮箱, 手机号, 地址, 姓名,
//     身份证号, ...) are recognised too. Medium: IP addresses (ip,
//     ip_address, client_ip, ipv4), device and advertising ids
//     (context.device.id, advertisingId, idfa, idfv, gaid, android_id, imei,
//     mac address), push tokens (context.device.token), context.device.name
//     (often "Jane's iPhone"), precise location (latitude, longitude, lat,
//     lng, "long" under a location object), and the user agent.
//  4. Content, for any string whatever its name: an email address (or
//     "Name <address>"), a phone number in international format ("+" then
//     8–15 digits; spaces, dashes, dots, parentheses allowed), a payment
//     card number (scheme prefix and length, Luhn check; 13-digit numbers
//     are refused since EAN-13 barcodes collide with them), an IBAN
//     (registered country, length, mod-97 check) are High. Order ids, SKUs,
//     prices, timestamps and UUIDs fail these shapes, and the digit checks
//     (card, IBAN) are skipped for identifier- and code-like names
//     ("order_id", "sku", "order_number", "barcode") whose digits are
//     barcodes and order numbers. Numbers are classified by name only.
//
// The user agent is Medium, not Low: on its own it names a browser build,
// but with the IP address it is the classic fingerprint, and regulators
// treat the pair as personal data. It stays in clear because device and
// browser reports need it. Medium fields are never encrypted.
//
// Keys with a "." make paths ambiguous ("a.b" the key or the nesting); they
// are classified as the path reads.
//
// Known limits: content is matched against whole values, so an email
// inside a longer text (a URL's query string, a review's body) is not found;
// the top-level ids (userId, anonymousId, previousId, groupId) are never
// sealed, since every part of the system joins on them — a source that uses
// email addresses as user ids puts them in clear.
//
// # Envelopes
//
// A sealed value is replaced by a string (see Envelope):
//
//	tw1.<kind>.<key id, base 36>.<blind index token or empty>.<base64url(nonce ‖ ciphertext)>
//
// so every consumer still reads a string where one was (numbers and
// objects sealed by an override become strings too; Decrypt restores their
// JSON). The kind ("email", "phone", "pii") lets readers mask without
// decrypting; the token lets the store find a person by email or phone
// without decrypting (BlindIndex: search by identifier is an exact match on
// the normalised form, see NormalizeEmail and NormalizePhone).
//
// Reading: Decrypt checks that an envelope belongs to the field it was
// found in; Open opens one wherever it is; DecryptJSON and MaskJSON copy a
// whole document with every envelope decrypted or masked, showing a
// destroyed key's values as "[erased]".
package pii
