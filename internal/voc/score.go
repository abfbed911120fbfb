package voc

import (
	"strings"

	"github.com/tradewind/tradewind/internal/store"
	"github.com/tradewind/tradewind/internal/voc/langid"
	"github.com/tradewind/tradewind/internal/voc/sentiment"
	"github.com/tradewind/tradewind/internal/voc/topics"
)

// ScoreText is the review enricher (store.Projector.ScoreText): the
// sender's language when it gave one (its primary subtag), else the
// detected one; the sentiment in that language; the topics mentioned.
func ScoreText(text, lang string) store.TextScore {
	l := strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(l, "-_"); i > 0 {
		l = l[:i]
	}
	if l == "" || l == langid.Und {
		l = langid.Detect(text)
	}
	r := sentiment.ScoreLang(text, l)
	return store.TextScore{Language: l, Sentiment: string(r.Label), Score: r.Score, Topics: topics.Default().Find(text)}
}
