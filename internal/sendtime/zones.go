package sendtime

import (
	"strings"
	"sync"
	"time"

	// The IANA database is embedded so that zones resolve the same on a
	// minimal container without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// defaultZones maps a country to the zone most of its people live in: the
// capital's where the country has one zone, the most populous zone
// otherwise (US Eastern, Canada's Toronto, Australia's Sydney, Brazil's São
// Paulo, Russia's Moscow, Indonesia's Jakarta, Mexico's capital).
var defaultZones = map[string]string{
	"AE": "Asia/Dubai", "AR": "America/Argentina/Buenos_Aires", "AT": "Europe/Vienna", "AU": "Australia/Sydney",
	"BD": "Asia/Dhaka", "BE": "Europe/Brussels", "BG": "Europe/Sofia", "BH": "Asia/Bahrain", "BR": "America/Sao_Paulo",
	"CA": "America/Toronto", "CH": "Europe/Zurich", "CL": "America/Santiago", "CN": "Asia/Shanghai", "CO": "America/Bogota",
	"CY": "Asia/Nicosia", "CZ": "Europe/Prague", "DE": "Europe/Berlin", "DK": "Europe/Copenhagen", "DZ": "Africa/Algiers",
	"EE": "Europe/Tallinn", "EG": "Africa/Cairo", "ES": "Europe/Madrid", "FI": "Europe/Helsinki", "FR": "Europe/Paris",
	"GB": "Europe/London", "GR": "Europe/Athens", "HK": "Asia/Hong_Kong", "HR": "Europe/Zagreb", "HU": "Europe/Budapest",
	"ID": "Asia/Jakarta", "IE": "Europe/Dublin", "IL": "Asia/Jerusalem", "IN": "Asia/Kolkata", "IQ": "Asia/Baghdad",
	"IS": "Atlantic/Reykjavik", "IT": "Europe/Rome", "JO": "Asia/Amman", "JP": "Asia/Tokyo", "KE": "Africa/Nairobi",
	"KR": "Asia/Seoul", "KW": "Asia/Kuwait", "KZ": "Asia/Almaty", "LK": "Asia/Colombo", "LT": "Europe/Vilnius",
	"LU": "Europe/Luxembourg", "LV": "Europe/Riga", "MA": "Africa/Casablanca", "MO": "Asia/Macau", "MT": "Europe/Malta",
	"MX": "America/Mexico_City", "MY": "Asia/Kuala_Lumpur", "NG": "Africa/Lagos", "NL": "Europe/Amsterdam",
	"NO": "Europe/Oslo", "NZ": "Pacific/Auckland", "OM": "Asia/Muscat", "PE": "America/Lima", "PH": "Asia/Manila",
	"PK": "Asia/Karachi", "PL": "Europe/Warsaw", "PT": "Europe/Lisbon", "QA": "Asia/Qatar", "RO": "Europe/Bucharest",
	"RS": "Europe/Belgrade", "RU": "Europe/Moscow", "SA": "Asia/Riyadh", "SE": "Europe/Stockholm", "SG": "Asia/Singapore",
	"SI": "Europe/Ljubljana", "SK": "Europe/Bratislava", "TH": "Asia/Bangkok", "TR": "Europe/Istanbul", "TW": "Asia/Taipei",
	"UA": "Europe/Kyiv", "US": "America/New_York", "VN": "Asia/Ho_Chi_Minh", "ZA": "Africa/Johannesburg",
}

var (
	zonesOnce sync.Once
	zones     map[string]*time.Location
)

// ZoneFor is the default time zone of country (ISO alpha-2, any case), for
// a person whose own zone is unknown. For a country it does not know it
// returns UTC, so a caller always gets a usable location; check
// HasDefaultZone when the difference matters.
func ZoneFor(country string) *time.Location {
	zonesOnce.Do(func() {
		zones = make(map[string]*time.Location, len(defaultZones))
		for cc, name := range defaultZones {
			loc, err := time.LoadLocation(name)
			if err != nil {
				// The embedded database has every name above (a test
				// checks); this would be a broken build.
				panic("sendtime: zone " + name + " of " + cc + ": " + err.Error())
			}
			zones[cc] = loc
		}
	})
	if loc, ok := zones[strings.ToUpper(country)]; ok {
		return loc
	}
	return time.UTC
}

// HasDefaultZone reports whether ZoneFor knows country's zone rather than
// falling back to UTC.
func HasDefaultZone(country string) bool {
	_, ok := defaultZones[strings.ToUpper(country)]
	return ok
}
