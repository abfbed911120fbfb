// Package records converts bulk files — NDJSON, CSV and TSV exports — into
// Segment-spec messages, one record at a time.
//
// A Reader streams: it holds the current record (and, for orders, the rows of
// the current order) and never the whole file, except with the "amazon"
// ready mapping (below). Each Record carries one message (JSON, without
// messageId), its first and last line, and a natural Key from which the
// pipeline derives a deterministic message id. A row that cannot be
// converted is returned as a *RowError naming the line and the column, with
// the raw row for the quarantine file; reading goes on with the next row.
// Nothing is dropped silently: a value that is not understood is either kept
// (as an extra property or trait) or reported.
//
// # Formats
//
// FormatAuto reads NDJSON when the first non-blank byte is '{' and delimited
// text otherwise. A UTF-8 byte-order mark is skipped; UTF-16 files are
// refused with a clear error. Line numbers are 1-based physical lines.
//
// NDJSON (any kind): each line is one Segment message. The line must be one
// JSON object of at most MaxLineBytes (32 KiB) of valid UTF-8; it is passed
// through unchanged (surrounding white space trimmed), with Key "" — the
// message's own messageId, if any, is used downstream. Blank lines are
// skipped. A column mapping cannot be used with NDJSON.
//
// Delimited text (FormatCSV, or FormatAuto): the first record is the header.
// The delimiter — comma, semicolon or tab — is the one that occurs most
// often in the header line outside quotes. Fields follow RFC 4180: a field in
// double quotes may contain the delimiter, "" for a quote, and line breaks
// (such a record spans several lines; Line and EndLine say which). A quote
// inside an unquoted field is an ordinary character. Text after a closing
// quote, a quote left open (up to the end of the file or MaxRecordBytes,
// after which the following lines are read again as rows), a row with fewer
// fields than the header, or with more non-empty fields, are row errors.
// Rows whose cells are all empty are skipped. Cells are trimmed of spaces.
// FormatTSV is tab-separated text without quoting: quotes are ordinary
// characters (as in Amazon's flat files), and fields cannot contain tabs or
// line breaks. A tab-delimited file read with the "amazon" mapping and
// FormatAuto is read like FormatTSV.
//
// Header names are matched loosely: case, surrounding space, and spaces
// or the separators '-', '.', '/', '_' between words do not matter ("Order ID", "order-id"
// and "order_id" are the same column). Two columns with the same normalised
// name, or two columns for one field, are header errors.
//
// # Values
//
// Amounts are exact decimals: optional sign, digits, optional '.' and
// digits, at most 19 significant digits; no exponent, thousands separator or
// currency symbol. In a semicolon-delimited file a single ',' is accepted as
// the decimal separator ("19,99"). Amounts are written to the message as
// JSON numbers whose text is the decimal as given ("19.90" stays 19.90, 1980
// stays 1980); sums are computed exactly, never through float64. Amounts
// must not be negative, except discounts, whose sign is dropped (exports
// write them either way). Quantities, impressions and clicks are whole
// numbers ≥ 0. Currencies are ISO 4217 codes (case-insensitive; written in
// upper case). Timestamps are RFC 3339, YYYY-MM-DD, or "YYYY-MM-DD
// HH:MM[:SS[.fff]]" (also with 'T'), optionally followed by Z, UTC or an
// offset (±HH, ±HHMM, ±HH:MM, with or without a space, as in Shopify's
// "2024-03-05 14:22:11 +0100"); without a zone they are UTC. They are
// written as RFC 3339 in UTC. Cells must be valid UTF-8. A RowError's Reason
// never contains the value.
//
// # Default columns
//
// Each kind has default column names (the usual aliases in brackets;
// spelling variants such as "userid" match too). A column that
// matches none — and is not mapped — is an extra: it is kept, as a string,
// under its normalised header name (lower case, separators as '_'): in
// properties for events, orders, reviews and ad_spend, in traits for
// customers. Empty cells are omitted.
//
// orders → track "Order Completed" (spec v2 properties), one message per
// order. Required columns: order_id, timestamp.
//
//	order_id [order, order_number, order_no]   properties.order_id; the Key
//	customer_id [user_id]                      userId
//	anonymous_id                               anonymousId
//	email [email_address, customer_email]      context.traits.email
//	phone [phone_number]                       context.traits.phone
//	customer_name                              context.traits.name
//	street [address], city, state [province, region], postal_code [zip, postcode], country [country_code]
//	                                           context.traits.address.{street,city,state,postalCode,country}
//	timestamp [created_at, order_date, date, purchase_date]   timestamp (required)
//	currency [currency_code]                   properties.currency (required when the order has amounts)
//	total [order_total], revenue, subtotal, tax [taxes], shipping, discount   properties.*
//	coupon [discount_code, coupon_code], status [order_status], affiliation [store]   properties.*
//	item columns, one line item per row → properties.products[]:
//	product_id, sku, name [product_name, item_name], price (unit price) [unit_price],
//	quantity [qty], category, brand, variant
//
// Consecutive rows with the same order_id are one order; each row with any
// item column becomes one element of products. Order-level columns may be
// repeated on every row of the order or given once (the first non-empty
// value counts); two different non-empty values are an error. Rows of one
// order must be consecutive: a later group of rows with an order_id already
// seen is a RowError (the reader remembers a 64-bit hash of each order id
// it has emitted, about 16 bytes per order, and none of the rows). When any
// row of an order is broken — a bad value, or a row that cannot be parsed
// but whose order id is readable — the whole order is one RowError whose
// Raw holds all its rows, so that no partial order is ever emitted.
//
// An extra column goes to properties when all rows of the order agree on
// it, and to each product otherwise; map it to property.NAME or
// product.NAME to pin it. Extra and mapped names that would overwrite a
// property or trait the converter writes itself get the prefix "extra_".
// Without customer_id and anonymous_id, anonymousId is "order:<order_id>".
// A status of "cancelled", "canceled", "voided" or "void" gives "Order
// Cancelled" (Key "<order_id>:cancelled"), "refunded" gives "Order
// Refunded" (Key "<order_id>:refunded"), anything else "Order Completed"
// (Key "<order_id>"); the status itself is kept in properties.status.
//
// customers → identify, one per row. Required: one of customer_id, email,
// anonymous_id.
//
//	customer_id [user_id] → userId; anonymous_id → anonymousId
//	email [email_address], phone [phone_number], first_name [firstname, given_name],
//	last_name [lastname, surname, family_name], name [full_name], language [locale]
//	                       → traits.email, phone, firstName, lastName, name, language
//	street, city, state, postal_code, country → traits.address.{street,city,state,postalCode,country}
//	created_at [signup_date] → traits.createdAt
//	updated_at             → timestamp (when absent, the pipeline's receive time applies)
//
// Extra columns become traits. Without customer_id and anonymous_id,
// anonymousId is "email-" + the first 32 hex digits of SHA-256 of the
// lower-cased e-mail. Key: customer_id, else "email-sha256:<hex>", else
// "anonymous:<anonymous_id>".
//
// reviews → track "Product Reviewed", one per row. Required: product_id,
// rating, timestamp.
//
//	review_id → properties.review_id; product_id [asin] → product_id; sku → sku
//	customer_id [user_id] → userId; anonymous_id → anonymousId; email → context.traits.email
//	rating [stars, score] → rating (a number from 1 to 5, decimals allowed)
//	title [review_title] → review_title; body [review_body, text, review_text, content] → review_body
//	language [lang, locale] → language; timestamp [created_at, date, review_date] → timestamp
//
// Extra columns become properties. Key: review_id, else
// "<product_id>|<customer>|<timestamp>". Without any customer column,
// anonymousId is "review:<key>" (or derived from the e-mail as for
// customers).
//
// ad_spend → the internal ad_spend message, one per row, no user id:
//
//	{"type":"ad_spend","timestamp":"<date>T00:00:00Z","properties":{"date":"YYYY-MM-DD",
//	 "channel":…,"campaign":…,"spend":12.34,"currency":"EUR","impressions":…,"clicks":…,
//	 "marketplace":…,"source":…}}
//
// Columns: date [day] (YYYY-MM-DD), channel [platform, network], campaign
// [campaign_name], spend [cost, amount], currency, impressions, clicks,
// marketplace, source. Required: date, channel, spend, currency. Extra
// columns become properties. Key: "<date>|<channel>|<campaign>", followed by
// "|name=value" for marketplace, source and every extra column that is not
// empty, so that rows at a finer grain (an ad group column, say) keep
// distinct keys.
//
// events → one message of any type per row. Columns: type (identify, track,
// page, screen, group, alias; default track), event [event_name], name
// [page_name, screen_name], user_id [userid, customer_id], anonymous_id,
// group_id, previous_id, timestamp [time, sent_at], message_id. Required:
// user_id or anonymous_id, and event or type. Extra columns become
// properties (traits for identify and group). Key: message_id, or "".
//
// Every message from delimited text carries context.import =
// {"kind": <kind>, "line": <first line>}.
//
// # Mappings
//
// ParseMapping reads a user mapping from "column=field,…" pairs, inline
// JSON or a JSON file; see its documentation. A target is a field name of
// the kind (the default column names above, without aliases), "ignore",
// "property.NAME", "trait.NAME" (context.traits for track messages) or, for
// orders, "product.NAME". Defaults fill a field whose column is absent or
// blank. Unmapped columns still match default names, then become extras.
//
// # Ready mapping "shopify"
//
// The Shopify admin orders export (Orders → Export, CSV): one row per line
// item; order-level columns are filled on the order's first row only, Name
// and the Lineitem columns on every row. Rows are grouped by Name. Columns
// used:
//
//	Id (else Name)         properties.order_id and the Key; Name → properties.order_number
//	Email, Phone (else Billing Phone), Billing Name → context.traits.email, phone, name
//	Billing Street, Billing City, Billing Province, Billing Zip, Billing Country
//	                       → context.traits.address
//	Created at             → timestamp (required)
//	Currency, Subtotal, Shipping, Taxes, Total, Discount Code, Discount Amount
//	                       → currency, subtotal (also revenue), shipping, tax, total, coupon, discount
//	Financial Status, Fulfillment Status, Paid at, Cancelled at, Refunded Amount
//	                       → financial_status, fulfillment_status, paid_at, cancelled_at, refunded
//	Lineitem quantity, Lineitem name, Lineitem price, Lineitem compare at price,
//	Lineitem sku, Lineitem discount, Vendor
//	                       → products[].quantity, name, price, compare_at_price, sku, discount, brand
//	Lineitem requires shipping, Lineitem taxable, Lineitem fulfillment status
//	                       → products[].requires_shipping, taxable, fulfillment_status
//
// Other Billing … and Shipping … columns (address lines, company, names,
// phones of buyer and recipient — personal data) go to context.traits under
// their normalised names (billing_address1, shipping_city, …); every other
// column (Shipping Method, Notes, Tags, Source, Payment Method, Tax 1 Name,
// …) is an extra. The export has no customer id: userId is empty and
// anonymousId is "shopify-order:<order id>"; identity is resolved from the
// e-mail trait. Event: "Order Cancelled" when Cancelled at is set or the
// financial status is voided; "Order Refunded" when it is refunded (total is
// then the Refunded Amount, order_total the order's Total); otherwise "Order
// Completed" (a partial refund shows in properties.refunded). Keys get the
// ":cancelled"/":refunded" suffixes as above. context.integration is
// {"name":"shopify"}.
//
// # Ready mapping "amazon"
//
// Seller Central's "All Orders" flat-file report (tab-separated, one row per
// order item). Columns used:
//
//	amazon-order-id (or order-id) → properties.order_id and the Key
//	purchase-date → timestamp (required); last-updated-date → properties.updated_at (latest)
//	order-status → properties.status; sales-channel → properties.affiliation and
//	                                    context.integration.marketplace
//	asin, sku, product-name, quantity (or quantity-purchased) → products[].product_id, sku, name, quantity
//	item-price (the line total) → products[].line_total, and products[].price = line
//	                             total ÷ quantity when that division is exact
//	item-status → products[].item_status
//	currency → properties.currency
//	item-tax, shipping-price, shipping-tax, gift-wrap-price, gift-wrap-tax,
//	item-promotion-discount, ship-promotion-discount → summed into the order amounts
//	ship-city, ship-state, ship-postal-code, ship-country → context.traits.address
//	buyer-email → userId "amazon:<lower-cased e-mail>" and context.traits.email;
//	buyer-name, buyer-phone-number → context.traits.name, phone
//
// recipient-name, ship-address-* and ship-phone-number go to context.traits;
// every other column (merchant-order-id, fulfillment-channel,
// order-channel, url, ship-service-level, promotion-ids,
// is-business-order, …) is an extra. Without buyer-email, userId is empty
// and anonymousId is "amazon-order:<order id>". Amounts: subtotal = Σ
// item-price; shipping = Σ shipping-price; tax = Σ (item-tax + shipping-tax
// + gift-wrap-tax); discount = Σ |item-promotion-discount| + Σ
// |ship-promotion-discount|; gift_wrap = Σ gift-wrap-price; total =
// subtotal + shipping + gift_wrap − discount, plus tax on marketplaces whose
// prices exclude tax (sales-channel Amazon.com or Amazon.ca, or USD/CAD
// when the channel is unknown); revenue = subtotal − item promotions, minus
// item-tax where prices include tax. Blank amounts (pending orders) are left
// out. order-status Cancelled gives "Order Cancelled" (Key
// "<id>:cancelled"), any other status "Order Completed".
//
// Rows of one Amazon order need not be adjacent, so this mapping reads the
// whole file before it emits any order: it holds every order's normalised
// values and raw rows (memory in proportion to the file), then emits the
// orders in the order of their first rows. Rows without a readable order id
// are reported as they are met.
package records
