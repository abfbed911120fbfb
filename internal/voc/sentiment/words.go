package sentiment

import "strings"

// The word lists below are written for tradewind (not taken from any data
// set). negators open a negation scope: the next four words, up to a
// punctuation mark or a clause break, are featurised as negated.
var negators = set(`not no never nothing nobody none neither nor without cannot dont cant wont isnt doesnt didnt wasnt arent havent aint
no nunca jamás jamas ni sin tampoco nada nadie ningún ninguna ninguno
nicht kein keine keinen keinem keiner keines nie niemals ohne nichts weder
ne n' pas jamais rien sans aucun aucune
non mai senza nessuno nessuna niente né
não nao nunca sem nem nada nenhum nenhuma`)

// postNegators also negate the word before them, as German puts "nicht"
// after the verb ("funktioniert nicht", "gefällt mir nicht" — there the
// pronoun, a known limit).
var postNegators = set(`nicht nie niemals`)

// clauseBreaks end a negation scope like punctuation does ("not cheap but
// good").
var clauseBreaks = set(`but however though although pero sino aunque aber sondern jedoch obwohl mais cependant pourtant ma però tuttavia mas porém contudo`)

// boosters scale the next word's features: intensifiers above 1,
// diminishers below.
var boosters = map[string]float32{}

func init() {
	for _, w := range strings.Fields(`very really so too extremely super absolutely totally incredibly highly most truly
muy tan bastante demasiado realmente sumamente súper
sehr total echt wirklich extrem ziemlich äußerst besonders voll
très tres trop vraiment tellement extrêmement vachement
molto troppo davvero tanto estremamente veramente
muito tão demais realmente extremamente bem`) {
		boosters[w] = 1.5
	}
	for _, w := range strings.Fields(`slightly somewhat barely bit kinda fairly poco algo etwas kaum leicht peu légèrement guère abbastanza pouco meio`) {
		boosters[w] = 0.6
	}
}

func set(s string) map[string]struct{} {
	m := map[string]struct{}{}
	for _, w := range strings.Fields(s) {
		m[w] = struct{}{}
	}
	return m
}

// ownLexicon lists, per language (and for emoji), review words written for tradewind with a
// polarity from −3 to +3. The training program adds each entry as a
// one-word training example, the way it adds the VADER and AFINN entries,
// so that languages with little or no labelled data (Japanese, Italian,
// Portuguese) still get word-level evidence.
var ownLexicon = map[string]string{
	"es": `feliz:2 felicidades:3 alegría:2 amor:3 amo:3 quiero:1 gracias:2 genial:3 increíble:2 gran:2 grande:1 hermoso:3 hermosa:3 lindo:2 linda:2 divertido:2 encantado:2 orgulloso:2 éxito:2 ganar:2 ganamos:2 ojalá:1 bien:2 mejor:2 fantástica:3 maravillosa:3 guapo:2 guapa:2 jaja:1 jajaja:1 bonito:2 triste:-2 odio:-3 miedo:-2 asco:-3 vergüenza:-2 mentira:-3 mentiroso:-3 muerte:-2 muerto:-2 culpa:-2 peor:-3 fatal:-3 desastre:-3 ridículo:-2 rabia:-3 harto:-2 harta:-2 perder:-2 perdimos:-2 problema:-1 corrupto:-3 corrupción:-3 estúpido:-3 idiota:-3 maldito:-3 lamentable:-3 horrible:-3 aburrido:-2 dolor:-2 llorar:-2 bueno:2 buena:2 buenos:2 buenas:2 excelente:3 genial:3 perfecto:3 perfecta:3 encanta:3 encantó:3 recomiendo:2 feliz:2 contento:2 contenta:2 rápido:1 bonito:2 bonita:2 precioso:2 preciosa:2 maravilloso:3 fantástico:3 increíble:2 gracias:1 mejor:2 calidad:1 cómodo:2 cómoda:2 útil:1 satisfecho:2 satisfecha:2
malo:-2 mala:-2 malos:-2 malas:-2 terrible:-3 horrible:-3 pésimo:-3 pésima:-3 roto:-2 rota:-2 defectuoso:-2 decepcionado:-2 decepcionada:-2 decepción:-2 lento:-1 tarde:-1 caro:-1 peor:-3 odio:-3 basura:-3 estafa:-3 devolver:-1 devolución:-1 problema:-1 triste:-2 feo:-2 fea:-2 incómodo:-2 asco:-3 mierda:-3`,
	"de": `freue:2 freude:2 glücklich:3 froh:2 lustig:2 geil:2 cool:1 bravo:2 glückwunsch:2 gratuliere:2 herzlichen:1 schönen:2 wunderschön:3 großartig:3 stark:1 spannend:1 genießen:2 liebe:3 lieben:3 gerne:1 gern:1 hoffentlich:1 erfolg:2 gewonnen:2 sieg:2 richtig:1 fantastisch:3 lecker:2 angenehm:2 witzig:2 glück:2 hammer:2 spitze:2 yeah:1 juhu:2 endlich:1 hass:-3 hasse:-3 traurig:-2 wütend:-3 angst:-2 schlimm:-2 schlimmer:-2 peinlich:-2 dumm:-2 blöd:-2 nervig:-2 nervt:-2 skandal:-3 lüge:-3 lügner:-3 unfassbar:-1 krank:-2 tot:-2 tod:-2 verloren:-2 niederlage:-2 problem:-1 probleme:-1 fehler:-2 falsch:-2 sauer:-2 ärger:-2 müll:-3 katastrophal:-3 grauenhaft:-3 widerlich:-3 ekelhaft:-3 verdammt:-2 kacke:-3 sorgen:-1 leid:-1 versagt:-2 versagen:-2 langweilig:-2 hässliche:-2 schlimmste:-3 schlechteste:-3 gut:2 gute:2 guter:2 gutes:2 guten:2 super:2 toll:3 tolle:3 tolles:3 toller:3 tollen:3 prima:2 perfekt:3 perfekte:3 perfektes:3 schöner:2 schönes:2 begeistert:3 empfehle:2 zuverlässig:2 einwandfrei:3 top:2 empfehlen:2 empfehlenswert:2 zufrieden:2 schön:2 schöne:2 klasse:2 wunderbar:3 hervorragend:3 ausgezeichnet:3 danke:1 liebe:2 schnell:1 bequem:2 hochwertig:2 lecker:2 genial:3
schlecht:-2 schlechte:-2 schlechter:-2 schlechtes:-2 schlechten:-2 schrecklich:-3 unbrauchbar:-3 katastrophe:-3 betrug:-3 beschädigt:-2 fehlerhaft:-2 furchtbar:-3 kaputt:-2 defekt:-2 enttäuscht:-2 enttäuschend:-2 enttäuschung:-2 langsam:-1 teuer:-1 billig:-1 mangelhaft:-2 leider:-1 ärgerlich:-2 mist:-2 scheiße:-3 zurückgeschickt:-2 reklamation:-2 hässlich:-2 unbequem:-2 traurig:-2 schade:-1 lügen:-2`,
	"fr": `heureux:3 heureuse:3 joie:2 amour:3 aime:2 adore:3 merci:2 bravo:3 félicitations:3 génial:3 magnifique:3 belle:2 beau:2 super:2 top:2 cool:1 drôle:2 fier:2 fière:2 gagné:2 victoire:2 bien:1 mieux:1 plaisir:2 vivement:1 hâte:1 mdr:1 excellent:3 incroyable:2 sympa:2 triste:-2 déteste:-3 haine:-3 peur:-2 honte:-2 mensonge:-3 menteur:-3 mort:-2 pire:-3 catastrophe:-3 ridicule:-2 colère:-3 marre:-2 perdu:-2 défaite:-2 problème:-1 nul:-3 nulle:-3 con:-3 connard:-3 merde:-3 putain:-2 dégoûté:-3 ennuyeux:-2 horrible:-3 scandale:-3 malheureusement:-2 inadmissible:-3 dommage:-2 grave:-1 bon:2 bonne:2 excellent:3 excellente:3 génial:3 géniale:3 parfait:3 parfaite:3 super:2 recommande:2 content:2 contente:2 satisfait:2 satisfaite:2 beau:2 belle:2 merci:1 adore:3 rapide:1 top:2 magnifique:3 agréable:2 confortable:2
mauvais:-2 mauvaise:-2 nul:-3 nulle:-3 horrible:-3 cassé:-2 cassée:-2 défectueux:-2 déçu:-2 déçue:-2 déception:-2 lent:-1 cher:-1 arnaque:-3 pire:-3 retour:-1 problème:-1 triste:-2 moche:-2 inconfortable:-2`,
	"it": `buono:2 buona:2 ottimo:3 ottima:3 eccellente:3 perfetto:3 perfetta:3 bello:2 bella:2 consiglio:2 soddisfatto:2 soddisfatta:2 contento:2 contenta:2 grazie:1 fantastico:3 stupendo:3 comodo:2 comoda:2 veloce:1 adoro:3 utile:1 qualità:1
cattivo:-2 cattiva:-2 pessimo:-3 pessima:-3 terribile:-3 orribile:-3 rotto:-2 rotta:-2 difettoso:-2 deluso:-2 delusa:-2 delusione:-2 lento:-1 caro:-1 truffa:-3 peggiore:-3 reso:-1 problema:-1 brutto:-2 brutta:-2 scomodo:-2 schifo:-3 purtroppo:-1`,
	"pt": `bom:2 boa:2 ótimo:3 ótima:3 otimo:3 excelente:3 perfeito:3 perfeita:3 lindo:2 linda:2 recomendo:2 satisfeito:2 satisfeita:2 feliz:2 obrigado:1 obrigada:1 adorei:3 amei:3 rápido:1 confortável:2 maravilhoso:3 incrível:2 qualidade:1
ruim:-2 péssimo:-3 péssima:-3 horrível:-3 terrível:-3 quebrado:-2 quebrada:-2 defeito:-2 decepcionado:-2 decepcionada:-2 decepção:-2 lento:-1 caro:-1 golpe:-3 pior:-3 devolução:-1 problema:-1 feio:-2 feia:-2 desconfortável:-2 triste:-2 lixo:-3 atraso:-2 atrasado:-2`,
	"zh": `好:1 很好:2 不错:2 满意:2 喜欢:2 推荐:2 完美:3 优秀:3 舒适:2 舒服:2 方便:1 快:1 值得:2 漂亮:2 好看:2 好吃:2 干净:2 棒:2 赞:2 超值:3 实惠:2 感谢:1 质量好:2 物美价廉:3
差:-2 很差:-3 不好:-2 失望:-2 垃圾:-3 破:-2 坏:-2 坏了:-2 慢:-1 太慢:-2 贵:-1 退货:-2 投诉:-2 骗:-3 假货:-3 难吃:-2 脏:-2 难看:-2 糟糕:-3 后悔:-2 差评:-3 不满意:-2 问题:-1 坑:-2`,
	"ja": `良い:2 よい:2 いい:2 最高:3 素晴らしい:3 すばらしい:3 満足:2 大満足:3 おすすめ:2 オススメ:2 可愛い:2 かわいい:2 綺麗:2 きれい:2 美しい:2 便利:2 快適:2 丁寧:2 早い:1 速い:1 安い:1 嬉しい:2 うれしい:2 ありがとう:1 感謝:2 気に入:2 好き:2 美味しい:2 おいしい:2 完璧:3 優秀:2 高品質:2 買ってよかった:3
悪い:-2 わるい:-2 最悪:-3 ひどい:-3 酷い:-3 残念:-2 不満:-2 不良:-2 壊れ:-2 壊れた:-2 故障:-2 遅い:-1 高い:-1 返品:-2 失望:-2 がっかり:-2 ガッカリ:-2 使えない:-2 不便:-2 汚い:-2 安っぽい:-2 二度と:-2 買わない:-2 詐欺:-3 偽物:-3 不快:-2 届かない:-2 まずい:-2 傷:-1 期待外れ:-2`,
	"emoji": `👍:2 👌:2 💯:2 ❤:3 ❤️:3 😍:3 🥰:3 😊:2 😀:2 😁:2 😄:2 🙂:1 👏:2 🔥:1 ✨:1 🎉:2 💕:2 😘:2 🤩:3 😎:1 🙏:1 ✅:1 ⭐:1 🌟:2 💖:3 😻:2
👎:-2 😡:-3 😠:-3 🤬:-3 😤:-2 😞:-2 😢:-2 😭:-2 💔:-2 😒:-2 🙄:-2 🤮:-3 😩:-2 😫:-2 😖:-2 😣:-2 😑:-1 😕:-1 🙁:-2 ☹:-2 😔:-2 ❌:-1 💩:-2 🤢:-2`,
	"en": `good:2 great:3 bad:-2 terrible:-3 awful:-3 happy:2 love:3 hate:-3 worth:2 recommend:2 recommended:2 works:1 sturdy:2 comfy:2 comfortable:2 gorgeous:2 flawless:3 refund:-1 returned:-1 returning:-1 broke:-2 broken:-2 defective:-2 flimsy:-2 cheaply:-2 scam:-3 fake:-2 ripped:-2 faulty:-2 junk:-3 waste:-2 disappointing:-2 useless:-2 overpriced:-2 late:-1 delayed:-1 arrived:0`,
}

// OwnLexicon returns the hand-written lexicon of one language as word →
// polarity (−3..+3); the training program uses it.
func OwnLexicon(lang string) map[string]float64 {
	out := map[string]float64{}
	for _, f := range strings.Fields(ownLexicon[lang]) {
		k := strings.LastIndexByte(f, ':')
		if k <= 0 {
			continue
		}
		v := 0.0
		switch f[k+1:] {
		case "3":
			v = 3
		case "2":
			v = 2
		case "1":
			v = 1
		case "-1":
			v = -1
		case "-2":
			v = -2
		case "-3":
			v = -3
		}
		if v != 0 {
			out[f[:k]] = v
		}
	}
	return out
}

// OwnLexiconLangs lists the languages ownLexicon covers.
func OwnLexiconLangs() []string {
	return []string{"en", "es", "de", "fr", "it", "pt", "zh", "ja", "emoji"}
}
