package compliance

import (
	"sort"
	"strings"
)

// isoCountries are the ISO 3166-1 alpha-2 codes in use, so that a typo in a
// request (UK for GB) is refused instead of silently matching no rule.
const isoCountries = `AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ
FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT
JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP
MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE
RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV
TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW`

var countrySet = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(isoCountries) {
		m[c] = true
	}
	return m
}()

// groups are the country groups a rule may name instead of listing
// members. EU is the 27 member states; EEA adds Iceland, Liechtenstein and
// Norway, where EU consumer law applies through the EEA Agreement; "*" is
// every country.
var groups = map[string][]string{
	"EU": strings.Fields("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE"),
	"EEA": strings.Fields("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE " +
		"IS LI NO"),
}

// ValidCountry reports whether code is an ISO 3166-1 alpha-2 country code
// (upper case).
func ValidCountry(code string) bool { return countrySet[code] }

// expandCountries turns a rule's countries (codes and groups) into a set;
// it returns the first entry that is neither.
func expandCountries(list []string) (map[string]bool, string) {
	out := map[string]bool{}
	for _, c := range list {
		switch {
		case c == "*":
			out["*"] = true
		case groups[c] != nil:
			for _, m := range groups[c] {
				out[m] = true
			}
		case countrySet[c]:
			out[c] = true
		default:
			return nil, c
		}
	}
	return out, ""
}

// Groups lists the country group names rules may use, with their members.
func Groups() map[string][]string {
	out := make(map[string][]string, len(groups)+1)
	for g, m := range groups {
		out[g] = append([]string(nil), m...)
		sort.Strings(out[g])
	}
	out["*"] = []string{}
	return out
}
