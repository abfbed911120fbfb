package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"

	"github.com/tradewind/tradewind/internal/ingest/shopify"
	"github.com/tradewind/tradewind/internal/store"
)

// maxWebhookBytes bounds a webhook body: Shopify orders with hundreds of
// line items stay far below it.
const maxWebhookBytes = 4 << 20

// RegisterWebhooks mounts the shop webhook endpoints on mux.
func (h *HTTP) RegisterWebhooks(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/webhooks/shopify/{source}", h.shopify)
}

// shopify takes Shopify's orders/create, orders/updated and refunds/create
// deliveries for the source named in the path, authenticated by their
// X-Shopify-Hmac-Sha256 signature with the source's webhook secret. A
// delivery Shopify repeats maps to the same message id, so it is stored
// once; topics tradewind does not map are acknowledged and ignored, so
// Shopify does not retry them.
func (h *HTTP) shopify(w http.ResponseWriter, r *http.Request) {
	if !h.acquire(w) {
		return
	}
	defer h.release()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBytes))
	if err != nil {
		WriteError(w, http.StatusRequestEntityTooLarge, "", "webhook body too large or unreadable")
		return
	}
	src, ok := h.Sources.ByID(r.PathValue("source"))
	// An unknown source and a bad signature get the same answer, so the
	// endpoint does not reveal which source ids exist.
	if !ok || !shopify.Verify(body, src.WebhookSecret, r.Header.Get("X-Shopify-Hmac-Sha256")) {
		WriteError(w, http.StatusUnauthorized, "X-Shopify-Hmac-Sha256", "signature does not verify with the source's webhook secret")
		return
	}
	topic := r.Header.Get("X-Shopify-Topic")
	msgs, err := shopify.Map(topic, body)
	switch {
	case errors.Is(err, shopify.ErrUnsupportedTopic):
		writeJSON(w, http.StatusOK, map[string]any{"success": true, "ignored": "topic not mapped"})
		return
	case err != nil:
		h.quarantine(r.Context(), src.ID, "webhook", []store.QuarantineEntry{{Index: -1, Field: "body", Reason: err.Error()}})
		WriteError(w, http.StatusBadRequest, "body", err.Error())
		return
	}
	items := make([]Item, len(msgs))
	for i, m := range msgs {
		sum := sha256.Sum256([]byte(src.ID + "\x00" + m.Key))
		items[i] = Item{Raw: m.JSON, MessageID: "shopify-" + hex.EncodeToString(sum[:16])}
	}
	out, err := h.Service.Accept(r.Context(), src, items, Options{Permanent: true})
	if err != nil {
		h.unavailable(w, err)
		return
	}
	for _, o := range out {
		if o.Err != nil {
			field, reason := FieldErr(o.Err)
			h.quarantine(r.Context(), src.ID, "webhook", []store.QuarantineEntry{{Index: -1, Field: field, Reason: reason}})
			WriteError(w, http.StatusBadRequest, field, field+" "+reason)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
}
