package demo

import (
	"math/rand/v2"
	"strings"
)

// Review topics: what a review talks about. Aspect-based sentiment
// analysis downstream should find these.
const (
	topicShipping = iota
	topicQuality
	topicSize
	topicPrice
	topicPackaging
	topicService
	numTopics
)

// Polarity of a phrase.
const (
	polNeg = iota
	polMixed
	polPos
)

// reviewBank holds one language's phrases. A review is an opener, one or
// two topic sentences and sometimes a closer and an emoji, so every
// language yields thousands of distinct texts. Phrases include negations
// that flip a word's usual sentiment ("not bad", "nicht gut", "不好",
// "悪くない", "no está mal", "pas terrible", "non male") so that a
// bag-of-words scorer is not enough.
type reviewBank struct {
	sep    string // between sentences: a space, or nothing in ja/zh
	open   [3][]string
	topics [numTopics][3][]string
	close  [3][]string
	// five closes only five-star reviews ("Five stars from me.").
	five string
}

var emoji = [3][]string{
	{"👎", "😡", "😞", "💔", "🙄"},
	{"🤷", "😐", "🙂"},
	{"👍", "😍", "❤️", "🙌", "✨", "⭐⭐⭐⭐⭐", "🥰"},
}

var reviewBanks = [numLangs]*reviewBank{
	langEn: {
		five: "Five stars from me.",
		sep:  " ",
		open: [3][]string{
			{"Really disappointed.", "Would not buy again.", "Not what I expected at all.", "Honestly a waste of money.", "Sadly not great."},
			{"It's okay.", "Mixed feelings about this one.", "Not bad, but not great either.", "Does the job, mostly.", "Decent, with a few issues."},
			{"Love it!", "Absolutely brilliant.", "Exactly what I was looking for.", "Great purchase.", "Really happy with this.", "Not bad at all, actually really good."},
		},
		topics: [numTopics][3][]string{
			topicShipping: {
				{"Delivery took almost three weeks.", "The parcel arrived late and the tracking never updated.", "Shipping was slow and the box was crushed."},
				{"Shipping took a bit longer than promised.", "Delivery was fine, nothing special."},
				{"Arrived two days early.", "Super fast shipping.", "Delivery was quick and the tracking was spot on."},
			},
			topicQuality: {
				{"The zip broke after a week.", "Feels cheap and the stitching is already coming apart.", "Quality is not good for the price."},
				{"Quality is okay but not premium.", "Materials feel decent, though one seam is a bit loose."},
				{"Build quality is excellent.", "Feels really solid and well made.", "The material is great and it still looks new after months."},
			},
			topicSize: {
				{"Runs very small, had to send it back.", "Doesn't fit at all, the size chart is wrong.", "Much smaller than it looks in the photos."},
				{"Sizing is a little off, order one size up.", "Slightly bigger than expected."},
				{"Fits perfectly.", "True to size.", "The size is exactly as described."},
			},
			topicPrice: {
				{"Way overpriced.", "Not worth the money.", "Too expensive for what you get."},
				{"A bit pricey, but it was on sale.", "Price is fair, not a bargain."},
				{"Great value for money.", "Worth every penny.", "Cheaper than the big brands and better."},
			},
			topicPackaging: {
				{"Arrived in a damaged box.", "The packaging was ripped open.", "Way too much plastic in the packaging."},
				{"Packaging was basic.", "The box was a bit dented but the item was fine."},
				{"Lovely packaging, would make a great gift.", "Nicely packed and plastic-free.", "Packaging was neat and secure."},
			},
			topicService: {
				{"Customer service never replied.", "Support was not helpful at all.", "Returning it was a nightmare."},
				{"Customer service replied after a few days.", "Support was polite but slow."},
				{"Customer service sorted a problem within hours.", "Support was super friendly.", "The seller replied quickly and was very helpful."},
			},
		},
		close: [3][]string{
			{"Returning it.", "Avoid.", "Very disappointed.", "Not recommended."},
			{"Might buy again if it's on sale.", "It's fine for now.", "Three stars."},
			{"Highly recommend!", "Will definitely buy again.", "Already ordered another one."},
		},
	},
	langDe: {
		five: "Fünf Sterne von mir.",
		sep:  " ",
		open: [3][]string{
			{"Leider sehr enttäuscht.", "Würde ich nicht wieder kaufen.", "Nicht gut.", "Das war leider ein Fehlkauf.", "Absolut nicht zu empfehlen."},
			{"Ganz okay.", "Nicht schlecht, aber auch nicht überragend.", "Gemischte Gefühle.", "Erfüllt seinen Zweck, mehr nicht."},
			{"Super Produkt!", "Bin total begeistert.", "Genau das, was ich gesucht habe.", "Klare Kaufempfehlung.", "Gar nicht schlecht, sogar richtig gut."},
		},
		topics: [numTopics][3][]string{
			topicShipping: {
				{"Die Lieferung hat fast drei Wochen gedauert.", "Das Paket kam viel zu spät an und die Sendungsverfolgung war tagelang nicht aktualisiert.", "Der Versand war langsam und der Karton zerdrückt."},
				{"Der Versand hat etwas länger gedauert als angegeben.", "Lieferung war in Ordnung."},
				{"Blitzschnelle Lieferung.", "Kam schon nach zwei Tagen an.", "Versand schnell und unkompliziert."},
			},
			topicQuality: {
				{"Der Reißverschluss ist nach einer Woche kaputt gegangen.", "Die Verarbeitung ist nicht gut, die Nähte lösen sich schon.", "Fühlt sich billig an."},
				{"Die Qualität ist okay, aber nicht hochwertig.", "Material in Ordnung, eine Naht ist etwas schief."},
				{"Sehr hochwertige Verarbeitung.", "Das Material ist top und hält auch nach Monaten.", "Wirkt sehr robust und gut gemacht."},
			},
			topicSize: {
				{"Fällt viel zu klein aus, musste es zurückschicken.", "Passt überhaupt nicht, die Größentabelle stimmt nicht.", "Deutlich kleiner als auf den Fotos."},
				{"Fällt etwas groß aus.", "Lieber eine Nummer größer bestellen."},
				{"Passt perfekt.", "Größe stimmt genau.", "Die Maße sind genau wie beschrieben."},
			},
			topicPrice: {
				{"Viel zu teuer.", "Das Geld nicht wert.", "Für den Preis erwarte ich mehr."},
				{"Etwas teuer, aber im Angebot okay.", "Der Preis ist fair, kein Schnäppchen."},
				{"Preis-Leistung ist top.", "Jeden Cent wert.", "Günstiger als die großen Marken und besser."},
			},
			topicPackaging: {
				{"Die Verpackung war beschädigt.", "Der Karton kam aufgerissen an.", "Viel zu viel Plastik in der Verpackung."},
				{"Die Verpackung war einfach gehalten.", "Karton etwas eingedrückt, Inhalt aber heil."},
				{"Schön verpackt, perfekt als Geschenk.", "Plastikfreie Verpackung, sehr gut.", "Ordentlich und sicher verpackt."},
			},
			topicService: {
				{"Der Kundenservice hat nie geantwortet.", "Der Support war überhaupt nicht hilfreich.", "Die Rücksendung war ein Albtraum."},
				{"Der Kundenservice hat nach ein paar Tagen geantwortet.", "Support freundlich, aber langsam."},
				{"Der Kundenservice hat mein Problem in wenigen Stunden gelöst.", "Super freundlicher Support.", "Der Verkäufer hat schnell und sehr hilfsbereit reagiert."},
			},
		},
		close: [3][]string{
			{"Geht zurück.", "Finger weg!", "Sehr enttäuschend.", "Keine Empfehlung."},
			{"Im Angebot würde ich es vielleicht wieder kaufen.", "Für den Moment reicht es.", "Drei Sterne."},
			{"Absolute Kaufempfehlung!", "Würde ich jederzeit wieder kaufen.", "Habe direkt ein zweites bestellt."},
		},
	},
	langJa: {
		five: "星5つです。",
		sep:  "",
		open: [3][]string{
			{"とても残念です。", "二度と買いません。", "期待外れでした。", "正直、お金の無駄でした。", "良くないです。"},
			{"まあまあです。", "悪くないけど、特別良くもないです。", "可もなく不可もなく。", "一応使えます。"},
			{"とても気に入りました！", "最高です。", "まさに探していた商品です。", "買って良かったです。", "思ったより悪くない、むしろ良いです。"},
		},
		topics: [numTopics][3][]string{
			topicShipping: {
				{"届くまで3週間近くかかりました。", "配送が遅く、追跡情報も更新されませんでした。", "配送が遅い上に箱が潰れていました。"},
				{"予定より少し遅れて届きました。", "配送は普通でした。"},
				{"予定より早く届きました。", "発送がとても早かったです。", "注文の翌日に届きました。"},
			},
			topicQuality: {
				{"一週間でファスナーが壊れました。", "縫製が雑で、すでにほつれています。", "作りが安っぽいです。"},
				{"品質はまあまあですが、高級感はありません。", "素材は悪くないですが、縫い目が少し曲がっています。"},
				{"作りがしっかりしています。", "素材が良く、数か月使ってもきれいです。", "品質がとても良いです。"},
			},
			topicSize: {
				{"サイズがかなり小さく、返品しました。", "サイズ表と全然違います。", "写真よりずっと小さかったです。"},
				{"少し大きめです。", "ワンサイズ上を選んだ方がいいと思います。"},
				{"サイズはぴったりでした。", "サイズ感は表記通りです。", "大きさも説明通りでちょうどいいです。"},
			},
			topicPrice: {
				{"値段が高すぎます。", "この値段の価値はありません。", "この価格ならもっと良いものがあります。"},
				{"少し高いですが、セールなら買いです。", "値段相応だと思います。"},
				{"コスパ最高です。", "この値段でこの品質は驚きです。", "有名ブランドより安くて良いです。"},
			},
			topicPackaging: {
				{"箱が破損して届きました。", "梱包が雑で、外箱が破れていました。", "過剰包装でプラスチックが多すぎます。"},
				{"梱包は簡易的でした。", "箱は少しへこんでいましたが、中身は無事でした。"},
				{"丁寧な梱包で、プレゼントにも良さそうです。", "梱包がきれいでした。", "しっかり梱包されていました。"},
			},
			topicService: {
				{"問い合わせても返信がありませんでした。", "サポートの対応が良くないです。", "返品手続きがとても面倒でした。"},
				{"問い合わせの返信は数日後でした。", "対応は丁寧でしたが遅かったです。"},
				{"問い合わせにすぐ対応してもらえました。", "ショップの対応がとても親切でした。", "トラブルもすぐに解決してくれました。"},
			},
		},
		close: [3][]string{
			{"返品します。", "おすすめしません。", "本当にがっかりです。"},
			{"セールならまた買うかもしれません。", "とりあえず使っています。", "星3つです。"},
			{"リピート確定です！", "おすすめです。", "家族にも買いました。"},
		},
	},
	langEs: {
		five: "Cinco estrellas.",
		sep:  " ",
		open: [3][]string{
			{"Muy decepcionado.", "No lo volvería a comprar.", "Nada que ver con lo que esperaba.", "Sinceramente, dinero tirado.", "No me gustó nada."},
			{"Está bien.", "No está mal, pero tampoco es genial.", "Sentimientos encontrados.", "Cumple, sin más."},
			{"¡Me encanta!", "Una maravilla.", "Justo lo que buscaba.", "Muy buena compra.", "Muy contenta con la compra."},
		},
		topics: [numTopics][3][]string{
			topicShipping: {
				{"El envío tardó casi tres semanas.", "El paquete llegó tarde y el seguimiento no se actualizaba.", "Envío lentísimo y la caja llegó aplastada."},
				{"El envío tardó un poco más de lo prometido.", "La entrega fue normal."},
				{"Llegó dos días antes de lo previsto.", "Envío rapidísimo.", "La entrega fue rápida y el seguimiento perfecto."},
			},
			topicQuality: {
				{"La cremallera se rompió a la semana.", "Parece barato y las costuras ya se están soltando.", "La calidad no es buena para el precio."},
				{"La calidad es aceptable, pero no premium.", "El material está bien, aunque una costura está algo suelta."},
				{"La calidad es excelente.", "Se nota muy resistente y bien hecho.", "El material es genial y sigue como nuevo después de meses."},
			},
			topicSize: {
				{"Talla muy pequeña, tuve que devolverlo.", "No me queda nada bien, la guía de tallas está mal.", "Mucho más pequeño de lo que parece en las fotos."},
				{"La talla es un poco grande.", "Mejor pedir una talla más."},
				{"Me queda perfecto.", "La talla es la correcta.", "El tamaño es justo como se describe."},
			},
			topicPrice: {
				{"Demasiado caro.", "No vale lo que cuesta.", "Por ese precio esperaba mucho más."},
				{"Algo caro, pero en oferta merece la pena.", "Precio justo, no es una ganga."},
				{"Muy buena relación calidad-precio.", "Vale cada euro.", "Más barato que las grandes marcas y mejor."},
			},
			topicPackaging: {
				{"La caja llegó dañada.", "El paquete venía abierto.", "Demasiado plástico en el embalaje."},
				{"El embalaje era básico.", "La caja venía un poco abollada, pero el producto estaba bien."},
				{"Embalaje precioso, ideal para regalar.", "Bien embalado y sin plástico.", "Venía muy bien protegido."},
			},
			topicService: {
				{"Atención al cliente nunca respondió.", "El servicio de atención no me ayudó en nada.", "La devolución fue una pesadilla."},
				{"Atención al cliente respondió a los pocos días.", "Amables, pero lentos."},
				{"Atención al cliente me lo solucionó en unas horas.", "Un servicio súper amable.", "El vendedor respondió rápido y fue muy atento."},
			},
		},
		close: [3][]string{
			{"Lo devuelvo.", "No lo recomiendo.", "Una decepción total."},
			{"Quizá lo vuelva a comprar si está rebajado.", "Por ahora me sirve.", "Tres estrellas."},
			{"¡Lo recomiendo totalmente!", "Repetiré seguro.", "Ya he pedido otro."},
		},
	},
	langZh: {
		five: "五星好评！",
		sep:  "",
		open: [3][]string{
			{"非常失望。", "不会再买了。", "跟描述完全不一样。", "说实话，白花钱了。", "不好，很后悔。"},
			{"还行吧。", "不算差，但也不算好。", "一般般。", "凑合能用。"},
			{"非常喜欢！", "太棒了！", "正是我想要的。", "买得很值。", "真的很不错！"},
		},
		topics: [numTopics][3][]string{
			topicShipping: {
				{"快递将近三个星期才到。", "物流太慢了，追踪信息好几天都没有更新。", "发货慢，箱子还被压坏了。"},
				{"物流比预计的慢了几天。", "配送速度一般。"},
				{"提前两天就到了。", "发货超级快。", "物流很快，跟踪信息也很准确。"},
			},
			topicQuality: {
				{"拉链用了一周就坏了。", "做工很差，线头已经开了。", "质量不好，摸起来很廉价。"},
				{"质量还可以，但算不上高档。", "材料不错，就是有一处缝线有点歪。"},
				{"做工很好，很结实。", "质量非常好，用了几个月还跟新的一样。", "材质很好，做工精细。"},
			},
			topicSize: {
				{"尺码偏小很多，只能退货。", "完全不合身，尺码表不准。", "比图片上小太多了。"},
				{"尺码稍微偏大。", "建议买大一码。"},
				{"尺码刚刚好。", "尺码很标准。", "大小跟描述的一样。"},
			},
			topicPrice: {
				{"太贵了。", "不值这个价。", "这个价格应该有更好的选择。"},
				{"有点贵，打折的时候买还行。", "价格还算合理，不算便宜。"},
				{"性价比超高。", "物超所值。", "比大牌便宜，质量还更好。"},
			},
			topicPackaging: {
				{"外箱破损了。", "包装被拆开过。", "包装里塑料太多了。"},
				{"包装比较简单。", "箱子有点压扁，但东西没事。"},
				{"包装很精美，适合送人。", "包装很用心，没有塑料。", "包装得很严实。"},
			},
			topicService: {
				{"客服一直不回复。", "客服态度不好，一点用都没有。", "退货流程太麻烦了。"},
				{"客服过了几天才回复。", "客服态度还行，就是回复慢。"},
				{"客服几个小时就帮我解决了问题。", "客服态度超级好。", "卖家回复很快，非常热情。"},
			},
		},
		close: [3][]string{
			{"已经申请退货。", "不推荐。", "太失望了。"},
			{"打折的话可能还会再买。", "暂时先用着。", "给三星吧。"},
			{"强烈推荐！", "还会回购的。", "已经给朋友也买了一个。"},
		},
	},
	langFr: {
		five: "Cinq étoiles.",
		sep:  " ",
		open: [3][]string{
			{"Très déçu.", "Je ne le rachèterai pas.", "Pas du tout ce que j'attendais.", "Franchement, de l'argent jeté par la fenêtre.", "Pas terrible."},
			{"Correct.", "Pas mal, mais sans plus.", "Avis mitigé.", "Ça fait le travail, sans plus."},
			{"J'adore !", "Vraiment génial.", "Exactement ce que je cherchais.", "Très bon achat.", "Ravie de mon achat."},
		},
		topics: [numTopics][3][]string{
			topicShipping: {
				{"La livraison a pris presque trois semaines.", "Le colis est arrivé en retard et le suivi ne se mettait pas à jour.", "Livraison lente et carton écrasé."},
				{"La livraison a pris un peu plus de temps que prévu.", "Livraison correcte."},
				{"Arrivé avec deux jours d'avance.", "Livraison ultra rapide.", "Livraison rapide et suivi impeccable."},
			},
			topicQuality: {
				{"La fermeture éclair a lâché au bout d'une semaine.", "Les coutures se défont déjà, ça fait bon marché.", "La qualité n'est pas au rendez-vous pour ce prix."},
				{"La qualité est correcte, sans être haut de gamme.", "Matière correcte, mais une couture est un peu de travers."},
				{"Excellente qualité de fabrication.", "Très solide et bien fini.", "La matière est top et il est comme neuf après des mois."},
			},
			topicSize: {
				{"Taille beaucoup trop petite, j'ai dû le renvoyer.", "Ne me va pas du tout, le guide des tailles est faux.", "Bien plus petit que sur les photos."},
				{"Taille un peu grand.", "Je conseille de prendre une taille au-dessus."},
				{"Taille parfaitement.", "Taille normalement.", "Les dimensions sont exactement celles annoncées."},
			},
			topicPrice: {
				{"Beaucoup trop cher.", "Ne vaut pas son prix.", "À ce prix-là, j'attendais mieux."},
				{"Un peu cher, mais intéressant en promo.", "Prix correct, sans être une affaire."},
				{"Excellent rapport qualité-prix.", "Vaut chaque centime.", "Moins cher que les grandes marques et meilleur."},
			},
			topicPackaging: {
				{"Le carton est arrivé abîmé.", "Le colis avait été ouvert.", "Beaucoup trop de plastique dans l'emballage."},
				{"Emballage basique.", "Carton un peu cabossé, mais le produit était intact."},
				{"Joli emballage, parfait pour offrir.", "Bien emballé et sans plastique.", "Emballage soigné."},
			},
			topicService: {
				{"Le service client n'a jamais répondu.", "Le SAV ne m'a pas aidé du tout.", "Le retour a été un cauchemar."},
				{"Le service client a répondu au bout de quelques jours.", "SAV aimable mais lent."},
				{"Le service client a réglé mon problème en quelques heures.", "SAV super sympa.", "Le vendeur a répondu vite et a été très arrangeant."},
			},
		},
		close: [3][]string{
			{"Je le renvoie.", "À éviter.", "Très décevant."},
			{"Je le rachèterai peut-être en promo.", "Ça ira pour l'instant.", "Trois étoiles."},
			{"Je recommande vivement !", "Je rachèterai sans hésiter.", "J'en ai déjà commandé un deuxième."},
		},
	},
	langIt: {
		five: "Cinque stelle.",
		sep:  " ",
		open: [3][]string{
			{"Molto deluso.", "Non lo ricomprerei.", "Per niente come me lo aspettavo.", "Sinceramente, soldi buttati.", "Non mi piace."},
			{"Discreto.", "Non male, ma niente di speciale.", "Sensazioni contrastanti.", "Fa il suo lavoro, niente di più."},
			{"Lo adoro!", "Davvero fantastico.", "Esattamente quello che cercavo.", "Ottimo acquisto.", "Soddisfattissima."},
		},
		topics: [numTopics][3][]string{
			topicShipping: {
				{"La consegna ha richiesto quasi tre settimane.", "Il pacco è arrivato in ritardo e il tracciamento non si aggiornava.", "Spedizione lenta e scatola schiacciata."},
				{"La spedizione ha impiegato un po' più del previsto.", "Consegna nella norma."},
				{"Arrivato con due giorni di anticipo.", "Spedizione velocissima.", "Consegna rapida e tracciamento preciso."},
			},
			topicQuality: {
				{"La cerniera si è rotta dopo una settimana.", "Le cuciture si stanno già scucendo, sembra economico.", "La qualità non è buona per il prezzo."},
				{"La qualità è discreta, ma non di alta gamma.", "Materiale buono, anche se una cucitura è un po' storta."},
				{"Qualità costruttiva eccellente.", "Molto robusto e ben fatto.", "Il materiale è ottimo ed è come nuovo dopo mesi."},
			},
			topicSize: {
				{"Veste molto piccolo, ho dovuto restituirlo.", "Non mi sta per niente, la tabella taglie è sbagliata.", "Molto più piccolo di come appare nelle foto."},
				{"Veste un po' grande.", "Consiglio di prendere una taglia in più."},
				{"Veste perfettamente.", "Taglia giusta.", "Le dimensioni sono esattamente come descritte."},
			},
			topicPrice: {
				{"Troppo caro.", "Non vale quello che costa.", "A questo prezzo mi aspettavo di più."},
				{"Un po' caro, ma in offerta ne vale la pena.", "Prezzo onesto, non un affare."},
				{"Ottimo rapporto qualità-prezzo.", "Vale ogni centesimo.", "Costa meno dei grandi marchi ed è migliore."},
			},
			topicPackaging: {
				{"La scatola è arrivata danneggiata.", "Il pacco era stato aperto.", "Troppa plastica nell'imballaggio."},
				{"Imballaggio essenziale.", "Scatola un po' ammaccata, ma il prodotto era integro."},
				{"Confezione bellissima, perfetta da regalare.", "Ben imballato e senza plastica.", "Imballaggio curato."},
			},
			topicService: {
				{"Il servizio clienti non ha mai risposto.", "L'assistenza non è stata per niente utile.", "Il reso è stato un incubo."},
				{"Il servizio clienti ha risposto dopo qualche giorno.", "Assistenza gentile ma lenta."},
				{"Il servizio clienti ha risolto il problema in poche ore.", "Assistenza gentilissima.", "Il venditore ha risposto subito ed è stato molto disponibile."},
			},
		},
		close: [3][]string{
			{"Lo rimando indietro.", "Da evitare.", "Molto deludente."},
			{"Forse lo ricompro se è in offerta.", "Per ora va bene.", "Tre stelle."},
			{"Lo consiglio assolutamente!", "Lo ricomprerò sicuramente.", "Ne ho già ordinato un altro."},
		},
	},
}

// Rating distributions: reviews of ordinary orders are J-shaped (mostly
// five stars, a bump at one star); after a refund or a delivery incident
// they are mostly negative.
var (
	ratingHappy   = cumulative(0.05, 0.05, 0.10, 0.22, 0.58)
	ratingUnhappy = cumulative(0.45, 0.30, 0.15, 0.07, 0.03)
)

// topicW is how often a review mentions each topic; size matters mostly
// for apparel.
var (
	topicW        = cumulative(0.2, 0.3, 0.08, 0.17, 0.12, 0.13)
	topicWApparel = cumulative(0.15, 0.25, 0.3, 0.12, 0.08, 0.1)
)

// writeReview composes a review text in lang for a rating, led by the
// topic the experience is about (lead < 0: drawn from topicW).
func writeReview(r *rand.Rand, lang, rating, lead int, apparel bool) string {
	b := reviewBanks[lang]
	pol := polPos
	switch {
	case rating <= 2:
		pol = polNeg
	case rating == 3:
		pol = polMixed
	}
	tw := topicW
	if apparel {
		tw = topicWApparel
	}
	if lead < 0 {
		lead = tw.draw(r)
	}
	var parts []string
	short := chance(r, 0.1)
	if short || chance(r, 0.85) {
		openPol := pol
		if rating == 4 && chance(r, 0.3) {
			openPol = polMixed // "Not bad, but…" four-star reviews
		}
		parts = append(parts, pick(r, b.open[openPol]))
	}
	if !short {
		parts = append(parts, pick(r, b.topics[lead][pol]))
		if chance(r, 0.45) {
			second := tw.draw(r)
			if second != lead {
				p2 := pol
				switch {
				case rating == 3:
					// three stars: one good thing, one bad thing
					p2 = polNeg
					if chance(r, 0.5) {
						p2 = polPos
					}
				case rating == 4 && chance(r, 0.3):
					p2 = polMixed
				}
				parts = append(parts, pick(r, b.topics[second][p2]))
			}
		}
		switch {
		case rating == 5 && chance(r, 0.15):
			parts = append(parts, b.five)
		case chance(r, 0.5):
			parts = append(parts, pick(r, b.close[pol]))
		}
	}
	text := strings.Join(parts, b.sep)
	if chance(r, 0.18) {
		sep := " "
		if b.sep == "" {
			sep = ""
		}
		text += sep + pick(r, emoji[pol])
	}
	return text
}
