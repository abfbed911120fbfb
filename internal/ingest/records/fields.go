package records

// valType says how a cell is validated and normalised.
type valType uint8

const (
	vString   valType = iota
	vMoney            // exact decimal, not negative
	vDiscount         // exact decimal; a negative sign is dropped (discounts are magnitudes)
	vCount            // whole number, not negative
	vTime             // timestamp, normalised to RFC 3339 UTC
	vDate             // YYYY-MM-DD
	vCurrency         // ISO 4217 code, normalised to upper case
	vEmail            // loosely checked e-mail address
	vRating           // decimal between 1 and 5
)

// fieldDef describes one field a column can map to.
type fieldDef struct {
	name    string
	typ     valType
	item    bool // orders: a line-item field (one value per row)
	hidden  bool // used by ready mappings only; not matched from headers, not a mapping target
	aliases []string
}

// kindSpec is the set of fields of one kind.
type kindSpec struct {
	kind   Kind
	fields []fieldDef
	byName map[string]int // public names and aliases
	// extraTarget says where unknown columns go: "properties" or "traits".
	extraTarget string
	// named targets allowed in user mappings
	allowProperty, allowTrait, allowProduct bool
}

func newSpec(k Kind, extra string, prop, trait, product bool, fields []fieldDef) *kindSpec {
	s := &kindSpec{kind: k, fields: fields, byName: map[string]int{}, extraTarget: extra,
		allowProperty: prop, allowTrait: trait, allowProduct: product}
	for i, f := range fields {
		if f.hidden {
			continue
		}
		s.byName[f.name] = i
		for _, a := range f.aliases {
			s.byName[a] = i
		}
	}
	return s
}

// lookupAny finds a field by its canonical name, hidden ones included.
func (s *kindSpec) lookupAny(name string) (int, bool) {
	for i, f := range s.fields {
		if f.name == name {
			return i, true
		}
	}
	return 0, false
}

// Orders fields. Order-level first, then line-item fields.
const (
	oOrderID = iota
	oOrderName
	oCustomerID
	oAnonymousID
	oEmail
	oPhone
	oCustomerName
	oStreet
	oCity
	oState
	oPostalCode
	oCountry
	oTimestamp
	oUpdatedAt
	oCurrency
	oTotal
	oRevenue
	oSubtotal
	oTax
	oShipping
	oDiscount
	oCoupon
	oStatus
	oFulfillmentStatus
	oPaidAt
	oCancelledAt
	oRefunded
	oAffiliation
	iProductID
	iSKU
	iName
	iPrice
	iQuantity
	iCategory
	iBrand
	iVariant
	iCompareAt
	iDiscount
	iLineTotal
	iItemTax
	iShipPrice
	iShipTax
	iGiftPrice
	iGiftTax
	iItemPromo
	iShipPromo
	nOrderFields
)

const firstItemField = iProductID

var ordersSpec = newSpec(KindOrders, "properties", true, true, true, []fieldDef{
	oOrderID:           {name: "order_id", aliases: []string{"order", "order_number", "orderid", "order_no"}},
	oOrderName:         {name: "order_name", hidden: true},
	oCustomerID:        {name: "customer_id", aliases: []string{"user_id", "userid", "customerid"}},
	oAnonymousID:       {name: "anonymous_id", aliases: []string{"anonymousid"}},
	oEmail:             {name: "email", typ: vEmail, aliases: []string{"email_address", "customer_email"}},
	oPhone:             {name: "phone", aliases: []string{"phone_number"}},
	oCustomerName:      {name: "customer_name"},
	oStreet:            {name: "street", aliases: []string{"address"}},
	oCity:              {name: "city"},
	oState:             {name: "state", aliases: []string{"province", "region"}},
	oPostalCode:        {name: "postal_code", aliases: []string{"zip", "zip_code", "postcode"}},
	oCountry:           {name: "country", aliases: []string{"country_code"}},
	oTimestamp:         {name: "timestamp", typ: vTime, aliases: []string{"created_at", "order_date", "date", "purchase_date"}},
	oUpdatedAt:         {name: "updated_at", typ: vTime, hidden: true},
	oCurrency:          {name: "currency", typ: vCurrency, aliases: []string{"currency_code"}},
	oTotal:             {name: "total", typ: vMoney, aliases: []string{"order_total"}},
	oRevenue:           {name: "revenue", typ: vMoney},
	oSubtotal:          {name: "subtotal", typ: vMoney},
	oTax:               {name: "tax", typ: vMoney, aliases: []string{"taxes"}},
	oShipping:          {name: "shipping", typ: vMoney},
	oDiscount:          {name: "discount", typ: vDiscount},
	oCoupon:            {name: "coupon", aliases: []string{"discount_code", "coupon_code"}},
	oStatus:            {name: "status", aliases: []string{"order_status"}},
	oFulfillmentStatus: {name: "fulfillment_status", hidden: true},
	oPaidAt:            {name: "paid_at", typ: vTime, hidden: true},
	oCancelledAt:       {name: "cancelled_at", typ: vTime, hidden: true},
	oRefunded:          {name: "refunded", typ: vMoney, hidden: true},
	oAffiliation:       {name: "affiliation", aliases: []string{"store"}},
	iProductID:         {name: "product_id", item: true, aliases: []string{"productid"}},
	iSKU:               {name: "sku", item: true},
	iName:              {name: "name", item: true, aliases: []string{"product_name", "item_name"}},
	iPrice:             {name: "price", typ: vMoney, item: true, aliases: []string{"unit_price"}},
	iQuantity:          {name: "quantity", typ: vCount, item: true, aliases: []string{"qty"}},
	iCategory:          {name: "category", item: true},
	iBrand:             {name: "brand", item: true},
	iVariant:           {name: "variant", item: true},
	iCompareAt:         {name: "compare_at_price", typ: vMoney, item: true, hidden: true},
	iDiscount:          {name: "item_discount", typ: vDiscount, item: true, hidden: true},
	iLineTotal:         {name: "line_total", typ: vMoney, item: true, hidden: true},
	iItemTax:           {name: "item_tax", typ: vMoney, item: true, hidden: true},
	iShipPrice:         {name: "shipping_price", typ: vMoney, item: true, hidden: true},
	iShipTax:           {name: "shipping_tax", typ: vMoney, item: true, hidden: true},
	iGiftPrice:         {name: "gift_wrap_price", typ: vMoney, item: true, hidden: true},
	iGiftTax:           {name: "gift_wrap_tax", typ: vMoney, item: true, hidden: true},
	iItemPromo:         {name: "item_promotion_discount", typ: vDiscount, item: true, hidden: true},
	iShipPromo:         {name: "ship_promotion_discount", typ: vDiscount, item: true, hidden: true},
})

// Customers fields.
const (
	cCustomerID = iota
	cAnonymousID
	cEmail
	cPhone
	cFirstName
	cLastName
	cName
	cStreet
	cCity
	cState
	cPostalCode
	cCountry
	cLanguage
	cCreatedAt
	cUpdatedAt
)

var customersSpec = newSpec(KindCustomers, "traits", false, true, false, []fieldDef{
	cCustomerID:  {name: "customer_id", aliases: []string{"user_id", "userid", "customerid"}},
	cAnonymousID: {name: "anonymous_id", aliases: []string{"anonymousid"}},
	cEmail:       {name: "email", typ: vEmail, aliases: []string{"email_address"}},
	cPhone:       {name: "phone", aliases: []string{"phone_number"}},
	cFirstName:   {name: "first_name", aliases: []string{"firstname", "given_name"}},
	cLastName:    {name: "last_name", aliases: []string{"lastname", "surname", "family_name"}},
	cName:        {name: "name", aliases: []string{"full_name"}},
	cStreet:      {name: "street", aliases: []string{"address"}},
	cCity:        {name: "city"},
	cState:       {name: "state", aliases: []string{"province", "region"}},
	cPostalCode:  {name: "postal_code", aliases: []string{"zip", "zip_code", "postcode"}},
	cCountry:     {name: "country", aliases: []string{"country_code"}},
	cLanguage:    {name: "language", aliases: []string{"locale"}},
	cCreatedAt:   {name: "created_at", typ: vTime, aliases: []string{"signup_date"}},
	cUpdatedAt:   {name: "updated_at", typ: vTime},
})

// Reviews fields.
const (
	rReviewID = iota
	rProductID
	rSKU
	rCustomerID
	rAnonymousID
	rEmail
	rRating
	rTitle
	rBody
	rLanguage
	rTimestamp
)

var reviewsSpec = newSpec(KindReviews, "properties", true, true, false, []fieldDef{
	rReviewID:    {name: "review_id", aliases: []string{"reviewid"}},
	rProductID:   {name: "product_id", aliases: []string{"productid", "asin"}},
	rSKU:         {name: "sku"},
	rCustomerID:  {name: "customer_id", aliases: []string{"user_id", "userid"}},
	rAnonymousID: {name: "anonymous_id", aliases: []string{"anonymousid"}},
	rEmail:       {name: "email", typ: vEmail},
	rRating:      {name: "rating", typ: vRating, aliases: []string{"stars", "score"}},
	rTitle:       {name: "title", aliases: []string{"review_title"}},
	rBody:        {name: "body", aliases: []string{"review_body", "text", "review_text", "content"}},
	rLanguage:    {name: "language", aliases: []string{"lang", "locale"}},
	rTimestamp:   {name: "timestamp", typ: vTime, aliases: []string{"created_at", "date", "review_date"}},
})

// Ad spend fields.
const (
	aDate = iota
	aChannel
	aCampaign
	aSpend
	aCurrency
	aImpressions
	aClicks
	aMarketplace
	aSource
)

var adSpendSpec = newSpec(KindAdSpend, "properties", true, false, false, []fieldDef{
	aDate:        {name: "date", typ: vDate, aliases: []string{"day"}},
	aChannel:     {name: "channel", aliases: []string{"platform", "network"}},
	aCampaign:    {name: "campaign", aliases: []string{"campaign_name"}},
	aSpend:       {name: "spend", typ: vMoney, aliases: []string{"cost", "amount"}},
	aCurrency:    {name: "currency", typ: vCurrency, aliases: []string{"currency_code"}},
	aImpressions: {name: "impressions", typ: vCount},
	aClicks:      {name: "clicks", typ: vCount},
	aMarketplace: {name: "marketplace"},
	aSource:      {name: "source"},
})

// Events fields.
const (
	eType = iota
	eEvent
	eName
	eUserID
	eAnonymousID
	eGroupID
	ePreviousID
	eTimestamp
	eMessageID
)

var eventsSpec = newSpec(KindEvents, "properties", true, true, false, []fieldDef{
	eType:        {name: "type"},
	eEvent:       {name: "event", aliases: []string{"event_name"}},
	eName:        {name: "name", aliases: []string{"page_name", "screen_name"}},
	eUserID:      {name: "user_id", aliases: []string{"userid", "customer_id"}},
	eAnonymousID: {name: "anonymous_id", aliases: []string{"anonymousid"}},
	eGroupID:     {name: "group_id", aliases: []string{"groupid"}},
	ePreviousID:  {name: "previous_id", aliases: []string{"previousid"}},
	eTimestamp:   {name: "timestamp", typ: vTime, aliases: []string{"time", "sent_at"}},
	eMessageID:   {name: "message_id", aliases: []string{"messageid"}},
})

func specFor(k Kind) *kindSpec {
	switch k {
	case KindOrders:
		return ordersSpec
	case KindCustomers:
		return customersSpec
	case KindReviews:
		return reviewsSpec
	case KindAdSpend:
		return adSpendSpec
	case KindEvents:
		return eventsSpec
	}
	return nil
}
