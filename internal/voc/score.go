package voc

import (
	"strings"

	"github.com/tradewind/tradewind/internal/store"
	"github.com/tradewind/tradewind/internal/voc/langid"
	"github.com/tradewind/tradewind/internal/voc/sentiment"
	"github.com/tradewind/tradewind/internal/voc/topics"
)

// ScoreText is the review enricher (store.Projector.ScoreText) with the
// built-in models only: the sender's language when it gave one (its
// primary subtag), else the detected one; the sentiment in that language;
// the topics mentioned. A node with a seller model uses
// SellerModels.ScoreText instead.
func ScoreText(text, lang string) store.TextScore {
	return scoreWith(nil, text, lang)
}

// resolveLang is the language a review is scored in: the sender's
// primary subtag when given, else the detected one.
func resolveLang(text, lang string) string {
	l := strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(l, "-_"); i > 0 {
		l = l[:i]
	}
	if l == "" || l == langid.Und {
		l = langid.Detect(text)
	}
	return l
}

// scoreWith scores with the seller's model for its languages (nil: none)
// and the built-in one for the others.
func scoreWith(sm *SellerModel, text, lang string) store.TextScore {
	l := resolveLang(text, lang)
	m := sentiment.Default()
	if own, ok := sm.model(l); ok {
		m = own
	}
	r := m.ScoreLang(text, l)
	return store.TextScore{Language: l, Sentiment: string(r.Label), Score: r.Score, Topics: topics.Default().Find(text)}
}
