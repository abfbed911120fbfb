package demo

// Name banks per culture. Japanese and Chinese names carry a romanisation
// (Hepburn, pinyin) beside the native script, because the same person types
// their name in Latin letters on some western sites: an identity-resolution
// system must cope with both spellings.

type name struct{ native, latin string }

func latinNames(xs ...string) []name {
	out := make([]name, len(xs))
	for i, x := range xs {
		out[i] = name{x, x}
	}
	return out
}

var (
	firstEnUS = latinNames("James", "Michael", "Robert", "David", "William", "Daniel", "Matthew", "Joshua", "Andrew", "Ryan",
		"Mary", "Jennifer", "Jessica", "Ashley", "Emily", "Sarah", "Olivia", "Emma", "Madison", "Hannah", "Taylor", "Jordan",
		"Chris", "Alex", "Brittany", "Tyler", "Kayla", "Brandon")
	lastEnUS = latinNames("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
		"Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall",
		"Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "O'Brien", "Nguyen", "Kim", "Patel")
	firstEnGB = latinNames("Oliver", "George", "Harry", "Jack", "Charlie", "Thomas", "James", "William", "Alfie", "Joshua",
		"Amelia", "Olivia", "Isla", "Emily", "Poppy", "Ava", "Isabella", "Jessica", "Sophie", "Lily", "Chloe", "Ella",
		"Freya", "Grace", "Siobhan", "Rhys")
	lastEnGB = latinNames("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
		"Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Hughes",
		"Edwards", "Patel", "Khan", "O'Connor", "MacDonald")
	firstDe = latinNames("Lukas", "Leon", "Finn", "Jonas", "Paul", "Felix", "Maximilian", "Tobias", "Jan", "Stefan",
		"Anna", "Lena", "Laura", "Lea", "Hannah", "Sophie", "Julia", "Katharina", "Sabine", "Miriam", "Jürgen",
		"Björn", "Jörg", "Käthe", "Günter", "Uta")
	lastDe = latinNames("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
		"Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz",
		"Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Weiß", "Groß", "Yılmaz")
	firstFr = latinNames("Lucas", "Hugo", "Louis", "Gabriel", "Arthur", "Jules", "Théo", "Raphaël", "Nathan", "Léo",
		"Emma", "Léa", "Chloé", "Manon", "Camille", "Inès", "Jade", "Louise", "Zoé", "Élise", "Anaïs", "Mathilde",
		"Céline", "Hélène", "François", "Noémie")
	lastFr = latinNames("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
		"Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent",
		"Fournier", "Morel", "Girard", "André", "Mercier", "Benali")
	firstEs = latinNames("Hugo", "Martín", "Lucas", "Mateo", "Leo", "Daniel", "Alejandro", "Pablo", "Manuel", "Álvaro",
		"Javier", "Sergio", "Lucía", "Sofía", "María", "Martina", "Paula", "Julia", "Carmen", "Elena", "Laura",
		"Marta", "Irene", "Nerea", "Íñigo", "Begoña")
	lastEs = latinNames("García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez",
		"Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero",
		"Alonso", "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ibáñez")
	firstEsUS = latinNames("José", "Luis", "Carlos", "Juan", "Jorge", "Miguel", "Diego", "Alejandro", "Ana",
		"Gabriela", "Valeria", "Daniela", "Ximena", "Guadalupe", "Sofía", "Camila", "Mariana", "Andrés")
	firstIt = latinNames("Leonardo", "Francesco", "Alessandro", "Lorenzo", "Mattia", "Andrea", "Gabriele", "Riccardo",
		"Tommaso", "Edoardo", "Giuseppe", "Marco", "Sofia", "Giulia", "Aurora", "Alice", "Ginevra", "Emma",
		"Giorgia", "Greta", "Martina", "Chiara", "Francesca", "Federica", "Niccolò", "Noemi")
	lastIt = latinNames("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino",
		"Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi",
		"Moretti", "Barbieri", "Fontana", "Santoro", "Mariani", "D'Angelo")
	firstNl = latinNames("Daan", "Sem", "Lucas", "Levi", "Finn", "Milan", "Bram", "Jesse", "Thijs", "Ruben", "Emma",
		"Julia", "Mila", "Tess", "Sophie", "Zoë", "Sara", "Nora", "Fleur", "Anouk", "Lotte", "Sanne", "Eva", "Lieke")
	lastNl = latinNames("de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
		"Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen",
		"Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf")
	firstJa = []name{{"翔太", "Shota"}, {"蓮", "Ren"}, {"大翔", "Hiroto"}, {"悠真", "Yuma"}, {"陽翔", "Haruto"},
		{"健太", "Kenta"}, {"拓也", "Takuya"}, {"大輔", "Daisuke"}, {"直樹", "Naoki"}, {"誠", "Makoto"},
		{"陽菜", "Hina"}, {"結衣", "Yui"}, {"美咲", "Misaki"}, {"さくら", "Sakura"}, {"葵", "Aoi"},
		{"愛子", "Aiko"}, {"由美", "Yumi"}, {"恵", "Megumi"}, {"優子", "Yuko"}, {"真由美", "Mayumi"}}
	lastJa = []name{{"佐藤", "Sato"}, {"鈴木", "Suzuki"}, {"高橋", "Takahashi"}, {"田中", "Tanaka"}, {"伊藤", "Ito"},
		{"渡辺", "Watanabe"}, {"山本", "Yamamoto"}, {"中村", "Nakamura"}, {"小林", "Kobayashi"}, {"加藤", "Kato"},
		{"吉田", "Yoshida"}, {"山田", "Yamada"}, {"佐々木", "Sasaki"}, {"山口", "Yamaguchi"}, {"松本", "Matsumoto"},
		{"井上", "Inoue"}, {"木村", "Kimura"}, {"林", "Hayashi"}, {"斎藤", "Saito"}, {"清水", "Shimizu"}}
	firstZh = []name{{"伟", "Wei"}, {"芳", "Fang"}, {"娜", "Na"}, {"敏", "Min"}, {"静", "Jing"}, {"磊", "Lei"},
		{"强", "Qiang"}, {"洋", "Yang"}, {"艳", "Yan"}, {"杰", "Jie"}, {"婷婷", "Tingting"}, {"浩然", "Haoran"},
		{"子涵", "Zihan"}, {"欣怡", "Xinyi"}, {"宇轩", "Yuxuan"}, {"梓萱", "Zixuan"}, {"俊杰", "Junjie"},
		{"雨桐", "Yutong"}, {"思远", "Siyuan"}, {"佳怡", "Jiayi"}}
	lastZh = []name{{"王", "Wang"}, {"李", "Li"}, {"张", "Zhang"}, {"刘", "Liu"}, {"陈", "Chen"}, {"杨", "Yang"},
		{"黄", "Huang"}, {"赵", "Zhao"}, {"吴", "Wu"}, {"周", "Zhou"}, {"徐", "Xu"}, {"孙", "Sun"}, {"马", "Ma"},
		{"朱", "Zhu"}, {"胡", "Hu"}, {"郭", "Guo"}, {"何", "He"}, {"林", "Lin"}, {"罗", "Luo"}, {"高", "Gao"}}
)

// asciiFold maps the letters of the name banks to what people type in an
// e-mail address.
var asciiFold = map[rune]string{
	'ä': "ae", 'ö': "oe", 'ü': "ue", 'ß': "ss", 'Ä': "ae", 'Ö': "oe", 'Ü': "ue",
	'à': "a", 'á': "a", 'â': "a", 'ç': "c", 'è': "e", 'é': "e", 'ê': "e", 'ë': "e",
	'í': "i", 'ï': "i", 'î': "i", 'ì': "i", 'ñ': "n", 'ó': "o", 'ò': "o", 'ô': "o",
	'ú': "u", 'ù': "u", 'û': "u", 'Á': "a", 'É': "e", 'Í': "i", 'Ó': "o", 'Ú': "u",
	'Ñ': "n", 'Ç': "c", 'È': "e", 'À': "a", 'Ì': "i", 'Ò': "o", 'Ù': "u", 'ı': "i",
}

// emailPart lower-cases s and folds it to the letters a-z.
func emailPart(s string) string {
	b := make([]byte, 0, len(s)+4)
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			b = append(b, byte(r))
		case r >= 'A' && r <= 'Z':
			b = append(b, byte(r+'a'-'A'))
		default:
			if f, ok := asciiFold[r]; ok {
				b = append(b, f...)
			}
			// spaces, apostrophes and anything else are dropped
		}
	}
	return string(b)
}
