// Package sendtime decides when a message may go to a person: not in the
// quiet hours of their own clock, not on a public holiday or weekend of
// their country when a journey says so, and at a chosen time of day. The
// journey engine asks Rules.Next for the earliest allowed instant and shows
// the reason it moved a message, so an operator can see why a send waited.
//
// Holidays come from a directory of per-country files (see LoadCalendar);
// time zones come from the embedded IANA database, so the binary behaves
// the same on a machine without /usr/share/zoneinfo.
package sendtime

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Date is a day on the calendar, without a time or a zone: a holiday is a
// date in the country's own calendar, not a 24-hour span of UTC.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf is the calendar date of t on t's own clock (in its location).
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate reads a date written YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// String writes the date as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// MarshalText writes the date as YYYY-MM-DD (JSON keys and values).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a date written YYYY-MM-DD.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// AddDays is the date n days later (earlier for negative n), normalised
// across month and year ends.
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Weekday is the day of the week of the date.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// Calendar knows the public holidays (and observances) of some countries.
// The zero value and a nil *Calendar are valid and know no holidays, so a
// node without a holiday directory still schedules messages.
type Calendar struct {
	days map[string]map[Date]string // country → date → name
	// workdays are weekend days made working days in exchange for a day
	// off elsewhere (China's 调休: "Day off (substituted from 02/14/2026)"
	// makes Saturday 14 February 2026 a working day).
	workdays map[string]map[Date]bool
}

// substituted reads the working day a substitute day off was taken from.
var substituted = regexp.MustCompile(`substituted from (\d{2})/(\d{2})/(\d{4})`)

// LoadCalendar reads every file named XX_*.json in dir, where XX is an
// ISO 3166-1 alpha-2 country code and the file is a JSON object
// {"YYYY-MM-DD": "name", …}. Several files of one country merge; a date
// named in two files keeps both names, joined with "; ". An empty dir gives
// an empty calendar. A file that cannot be read or parsed is an error
// naming the file (and the bad date), because a silently missing holiday
// would send a campaign on Chinese New Year.
func LoadCalendar(dir string) (*Calendar, error) {
	c := &Calendar{days: map[string]map[Date]string{}, workdays: map[string]map[Date]bool{}}
	if dir == "" {
		return c, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("holiday directory %s: %w", dir, err)
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("holiday directory: %w", err)
	}
	sort.Strings(files)
	for _, path := range files {
		base := filepath.Base(path)
		cc, _, ok := strings.Cut(base, "_")
		if !ok || len(cc) != 2 || strings.ToUpper(cc) != cc {
			continue // not a holiday file (XX_NAME.json)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("holiday file: %w", err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("holiday file %s: want a JSON object {\"YYYY-MM-DD\": \"name\"}: %w", path, err)
		}
		days := c.days[cc]
		if days == nil {
			days = map[Date]string{}
			c.days[cc] = days
		}
		for k, name := range m {
			d, err := ParseDate(k)
			if err != nil {
				return nil, fmt.Errorf("holiday file %s: %w", path, err)
			}
			if name = strings.TrimSpace(name); name == "" {
				return nil, fmt.Errorf("holiday file %s: %s has no name", path, k)
			}
			if old, ok := days[d]; ok && old != name {
				name = old + "; " + name
			}
			days[d] = name
			for _, m := range substituted.FindAllStringSubmatch(name, -1) {
				w, err := ParseDate(m[3] + "-" + m[1] + "-" + m[2])
				if err != nil {
					return nil, fmt.Errorf("holiday file %s: %s: %w", path, k, err)
				}
				if c.workdays[cc] == nil {
					c.workdays[cc] = map[Date]bool{}
				}
				c.workdays[cc][w] = true
			}
		}
	}
	return c, nil
}

// Holiday names the holiday of country (ISO alpha-2, any case) on day, or
// reports false when the calendar knows none — also when it knows nothing
// about the country at all.
func (c *Calendar) Holiday(country string, day Date) (name string, ok bool) {
	if c == nil {
		return "", false
	}
	name, ok = c.days[strings.ToUpper(country)][day]
	return name, ok
}

// Workday reports whether day is a weekend day that country has made a
// working day, in exchange for a day off next to a holiday (China's and
// Vietnam's substitute days). Rules that avoid weekends allow such days:
// people are at work.
func (c *Calendar) Workday(country string, day Date) bool {
	if c == nil {
		return false
	}
	return c.workdays[strings.ToUpper(country)][day]
}

// Countries lists the countries the calendar has holidays for, sorted.
func (c *Calendar) Countries() []string {
	if c == nil {
		return nil
	}
	out := make([]string, 0, len(c.days))
	for cc := range c.days {
		out = append(out, cc)
	}
	sort.Strings(out)
	return out
}

// observances are named days in the holiday data that are not days off for
// most people — several are the biggest marketing dates of the year
// (Valentine's Day, International Women's Day in China), so avoiding them
// by default would be wrong. A day is an observance only if every one of
// its names is.
var observances = map[string]map[string]bool{
	"US": set("Groundhog Day", "Valentine's Day", "Saint Patrick's Day", "Good Friday", "Easter Sunday",
		"Mother's Day", "Father's Day", "Halloween", "Christmas Eve", "New Year's Eve", "Election Day"),
	// Half-day or group-specific holidays (women, youth, children, the
	// army) under the State Council's holiday rules: work goes on for
	// everyone else.
	"CN": set("International Women's Day", "Youth Day", "Children's Day", "Army Day"),
	"TH": set("Teacher's Day", "HM King Ramkhamhaeng Memorial Day", "Royal Thai Armed Forces Day", "Thai Veterans Day",
		"International Women's Day", "National Science Day", "Thai National Flag Day", "Loy Krathong",
		"National Artist Day", "National Forest Conservation Day", "National Aviation Day", "National Children's Day"),
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// IsObservance reports whether a holiday name of country (as Holiday
// returns it) is only an observance — a named day that is not a day off,
// such as Valentine's Day in the US or Youth Day in China. Rules avoid
// observances only when AvoidObservances is set.
func IsObservance(country, name string) bool {
	obs := observances[strings.ToUpper(country)]
	if obs == nil {
		return false
	}
	for _, part := range strings.Split(name, "; ") {
		if !obs[part] {
			return false
		}
	}
	return true
}
