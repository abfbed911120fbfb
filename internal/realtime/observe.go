package realtime

import (
	"strings"

	"github.com/valyala/fastjson"

	"github.com/tradewind/tradewind/internal/identity"
	"github.com/tradewind/tradewind/internal/segment"
	"github.com/tradewind/tradewind/internal/store"
)

// platformIDs are the trait keys that carry a marketplace's or shop's own
// id of the buyer, and the identifier kind each becomes. They are strong
// ids, namespaced by the store (marketplace account) the source belongs to.
var platformIDs = map[string]string{
	"amazon_buyer_id":     "amazon_buyer",
	"amazonBuyerId":       "amazon_buyer",
	"shopify_customer_id": "shopify_customer",
	"shopifyCustomerId":   "shopify_customer",
	"tiktok_user_id":      "tiktok_user",
	"tiktokUserId":        "tiktok_user",
	"tiktok_open_id":      "tiktok_user",
	"ebay_user_id":        "ebay_user",
	"ebayUserId":          "ebay_user",
}

// observeParsers parse the traits and context of messages for platform ids.
var observeParsers fastjson.ParserPool

// observation lists the identifiers a projected message carries together:
// its userId (namespaced by its source or shared user space), anonymousId,
// the blind-index tokens of its e-mails and phones, platform ids from its
// traits, and an alias's previousId.
func (e *Engine) observation(p *store.Projected, storeOf func(source string) string) identity.Observation {
	ev := p.Event
	o := identity.Observation{Seq: ev.Seq, MessageID: ev.MessageID, Source: ev.SourceID, At: ev.Timestamp, Type: ev.Type}
	ns := ev.SourceID
	if s, ok := e.cfg.SharedUserSpaces[ev.SourceID]; ok {
		ns = s
	}
	if ev.UserID != "" {
		o.IDs = append(o.IDs, identity.ID{Kind: identity.User, NS: ns, Value: ev.UserID})
	}
	if ev.AnonymousID != "" {
		o.IDs = append(o.IDs, identity.ID{Kind: identity.Anon, Value: ev.AnonymousID})
	}
	if ev.Type == segment.Alias && ev.PreviousID != "" {
		// previousId is usually the anonymousId the person had before
		// signing up; treating it as a userId would make a second userId
		// in the namespace, a conflict.
		o.IDs = append(o.IDs, identity.ID{Kind: identity.Anon, Value: ev.PreviousID})
	}
	for _, t := range p.Tokens {
		switch t.Kind {
		case "email":
			o.IDs = append(o.IDs, identity.ID{Kind: identity.Email, Value: t.Token})
		case "phone":
			o.IDs = append(o.IDs, identity.ID{Kind: identity.Phone, Value: t.Token})
		}
	}
	if len(ev.Traits) > 0 || len(ev.Context) > 0 {
		// A pooled parser reuses its value cache: a new one per message
		// allocated it anew, for every message with a context.
		pr := observeParsers.Get()
		defer observeParsers.Put(pr)
		st := ""
		collect := func(raw []byte, path ...string) {
			if len(raw) == 0 {
				return
			}
			v, err := pr.ParseBytes(raw)
			if err != nil {
				return
			}
			if v = v.Get(path...); v == nil {
				return
			}
			obj, err := v.Object()
			if err != nil {
				return
			}
			obj.Visit(func(k []byte, val *fastjson.Value) {
				kind, ok := platformIDs[string(k)]
				if !ok {
					return
				}
				var s string
				switch val.Type() {
				case fastjson.TypeString:
					s = string(val.GetStringBytes())
				case fastjson.TypeNumber:
					s = val.String()
				default:
					return
				}
				if s = strings.TrimSpace(s); s == "" || strings.HasPrefix(s, "tw1.") {
					return
				}
				if st == "" {
					st = storeOf(ev.SourceID)
				}
				o.IDs = append(o.IDs, identity.ID{Kind: kind, NS: st, Value: s})
			})
		}
		collect(ev.Traits)
		collect(ev.Context, "traits")
	}
	return o
}
