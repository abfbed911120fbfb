package journey

import (
	"html"
	"strings"
)

// unsubscribeWords names the unsubscribe link in the footer per language:
// the footer is in the message's language, as the law of each market asks
// for an opt-out the reader can find.
var unsubscribeWords = map[string]string{
	"en": "Unsubscribe", "de": "Abmelden", "fr": "Se désabonner", "es": "Darse de baja", "it": "Annulla l'iscrizione",
	"pt": "Cancelar subscrição", "nl": "Afmelden", "pl": "Wypisz się", "sv": "Avsluta prenumeration",
	"ja": "配信停止 (unsubscribe)", "zh": "退订 (unsubscribe)", "ko": "수신 거부 (unsubscribe)",
}

// footer is what every journey e-mail ends with: the sender's postal
// address and the person's own unsubscribe link (CAN-SPAM, PECR, the
// ePrivacy Directive). Templates need not carry either.
func footer(locale, unsubscribeURL, address string) (text, htmlPart string) {
	lang := strings.ToLower(strings.SplitN(strings.ReplaceAll(locale, "_", "-"), "-", 2)[0])
	word, ok := unsubscribeWords[lang]
	if !ok {
		word = unsubscribeWords["en"]
	}
	var t, h strings.Builder
	t.WriteString("\n\n--\n")
	h.WriteString(`<hr><p style="font-size:12px;color:#666">`)
	if address != "" {
		t.WriteString(address + "\n")
		h.WriteString(html.EscapeString(address) + "<br>")
	}
	t.WriteString(word + ": " + unsubscribeURL + "\n")
	h.WriteString(`<a href="` + html.EscapeString(unsubscribeURL) + `">` + html.EscapeString(word) + `</a></p>`)
	return t.String(), h.String()
}

// withFooter appends the footer to a message's parts.
func withFooter(text, htmlBody, locale, unsubscribeURL, address string) (string, string) {
	ft, fh := footer(locale, unsubscribeURL, address)
	text += ft
	if htmlBody != "" {
		if i := strings.LastIndex(strings.ToLower(htmlBody), "</body>"); i >= 0 {
			htmlBody = htmlBody[:i] + fh + htmlBody[i:]
		} else {
			htmlBody += fh
		}
	}
	return text, htmlBody
}

// checkURL stands in for a person's unsubscribe link when content is
// checked before anyone is chosen.
const checkURL = "https://unsubscribe.invalid/u/link"
