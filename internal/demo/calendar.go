package demo

import "time"

const (
	msPerMinute = int64(60_000)
	msPerHour   = 60 * msPerMinute
	msPerDay    = 24 * msPerHour
	msPerWeek   = 7 * msPerDay
)

// Day flags mark the retail calendar's peaks. They are computed from the
// civil date, so a person's intensity uses the date in their own time zone.
const (
	fPrimeDay     = 1 << iota // Amazon Prime Day: second Tuesday of July and the Wednesday
	fPrimeEarly               // the week before Prime Day: shoppers wait for deals
	fBigDeal                  // Prime Big Deal Days: second Tuesday/Wednesday of October
	fBFWeek                   // the six days before Black Friday
	fBlackFriday              // day after the fourth Thursday of November
	fCyberWeekend             // Saturday and Sunday after Black Friday
	fCyberMonday              //
	fSinglesRun               // 1–10 November: 11.11 pre-sales
	fSinglesDay               // 11 November
	fXmasRun                  // 1–20 December: gift shopping
	fXmasLull                 // 24–26 December
	fPostXmas                 // 21–23 and 27–31 December
	fJPNewYear                // 1–3 January: hatsuuri sales in Japan
)

// Seasonality profiles: which peaks move a person's or campaign's demand.
const (
	profAmazon  = 1 << iota // shops mainly on Amazon: Prime Day, Big Deal Days
	profTikTok              // TikTok Shop UK runs an 11.11 sale
	profZH                  // Chinese-speaking: Singles' Day
	profJP                  // lives in Japan: New Year sales
	numProfiles = 1 << 4
)

// monthFactor is the base demand per calendar month (index 1–12): a
// slow January–February, a summer dip, and the Q4 peak.
var monthFactor = [13]float64{0, 0.85, 0.8, 0.9, 0.92, 0.95, 0.95, 1.0, 0.88, 0.95, 1.05, 1.3, 1.35}

// weekdayFactor (Sunday = 0): online shopping peaks on Sunday and Monday
// and dips on Friday.
var weekdayFactor = [7]float64{1.12, 1.08, 1.0, 0.98, 0.96, 0.9, 0.96}

// hourFactor is the local hour-of-day shape: a lunch bump and an evening
// peak at 20–21h, almost nothing at 3–5h. Normalised to mean 1 in init.
var hourFactor = [24]float64{
	0.35, 0.2, 0.12, 0.08, 0.07, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0, 1.1,
	1.3, 1.2, 1.05, 1.0, 1.0, 1.1, 1.25, 1.5, 1.75, 1.8, 1.4, 0.8,
}

// maxWeekHour bounds weekdayFactor*hourFactor, for thinning.
var maxWeekHour float64

func init() {
	s := 0.0
	for _, h := range hourFactor {
		s += h
	}
	maxH := 0.0
	for i := range hourFactor {
		hourFactor[i] *= 24 / s
		maxH = max(maxH, hourFactor[i])
	}
	maxW := 0.0
	for _, w := range weekdayFactor {
		maxW = max(maxW, w)
	}
	maxWeekHour = maxW * maxH
}

// calendar holds per-day flags and seasonal demand for the run's window,
// indexed by day number relative to baseDay (a few days before the window,
// so time zones west of UTC still land inside the table).
type calendar struct {
	baseDay int64 // Unix day number of index 0
	flags   []uint16
	month   []uint8
	season  [numProfiles][]float64
	smax    [numProfiles]float64
}

func unixDay(ms int64) int64 {
	d := ms / msPerDay
	if ms%msPerDay < 0 {
		d--
	}
	return d
}

func newCalendar(startMs, nowMs int64) *calendar {
	c := &calendar{baseDay: unixDay(startMs) - 2}
	n := int(unixDay(nowMs)-c.baseDay) + 3
	c.flags = make([]uint16, n)
	c.month = make([]uint8, n)
	for i := 0; i < n; i++ {
		t := time.Unix((c.baseDay+int64(i))*86400, 0).UTC()
		c.flags[i] = dayFlags(t.Year(), t.Month(), t.Day())
		c.month[i] = uint8(t.Month())
	}
	for p := 0; p < numProfiles; p++ {
		c.season[p] = make([]float64, n)
		for i := 0; i < n; i++ {
			f := seasonFactor(p, c.flags[i], int(c.month[i]))
			c.season[p][i] = f
			if f > c.smax[p] {
				c.smax[p] = f
			}
		}
	}
	return c
}

// index returns the table index of Unix day d, clamped to the table.
func (c *calendar) index(d int64) int {
	i := int(d - c.baseDay)
	if i < 0 {
		return 0
	}
	if i >= len(c.flags) {
		return len(c.flags) - 1
	}
	return i
}

// nthWeekday returns the day of month of the n-th wd in the month.
func nthWeekday(y int, m time.Month, wd time.Weekday, n int) int {
	first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).Weekday()
	return 1 + (int(wd)-int(first)+7)%7 + 7*(n-1)
}

func dayFlags(y int, m time.Month, d int) uint16 {
	var f uint16
	switch m {
	case time.January:
		if d <= 3 {
			f |= fJPNewYear
		}
	case time.July:
		pd := nthWeekday(y, time.July, time.Tuesday, 2)
		if d == pd || d == pd+1 {
			f |= fPrimeDay
		} else if d >= pd-7 && d < pd {
			f |= fPrimeEarly
		}
	case time.October:
		bd := nthWeekday(y, time.October, time.Tuesday, 2)
		if d == bd || d == bd+1 {
			f |= fBigDeal
		}
	case time.November:
		bf := nthWeekday(y, time.November, time.Thursday, 4) + 1
		switch {
		case d == bf:
			f |= fBlackFriday
		case d >= bf-6 && d < bf:
			f |= fBFWeek
		case d == bf+1 || d == bf+2:
			f |= fCyberWeekend
		case d == bf+3:
			f |= fCyberMonday
		}
		if d < 11 {
			f |= fSinglesRun
		} else if d == 11 {
			f |= fSinglesDay
		}
	case time.December:
		switch {
		case d <= 20:
			f |= fXmasRun
		case d >= 24 && d <= 26:
			f |= fXmasLull
		default:
			f |= fPostXmas
		}
		// Cyber Monday falls on 1 or 2 December in some years.
		bf := nthWeekday(y, time.November, time.Thursday, 4) + 1
		if bf+3 > 30 && d == bf+3-30 {
			f |= fCyberMonday
		}
	}
	return f
}

// seasonFactor is the demand multiplier of a day for a profile.
func seasonFactor(prof int, f uint16, month int) float64 {
	s := monthFactor[month]
	switch {
	case f&fXmasRun != 0:
		s *= 1.15
	case f&fXmasLull != 0:
		s *= 0.5
	case f&fPostXmas != 0:
		s *= 0.7
	}
	switch {
	case f&fBFWeek != 0:
		s *= 1.4
	case f&fBlackFriday != 0:
		s *= 4.2 // the year's peak day everywhere
	case f&fCyberWeekend != 0:
		s *= 1.9
	case f&fCyberMonday != 0:
		s *= 2.2
	}
	if prof&profAmazon != 0 {
		switch {
		case f&fPrimeDay != 0:
			s *= 3.0
		case f&fPrimeEarly != 0:
			s *= 0.85
		case f&fBigDeal != 0:
			s *= 1.9
		}
	}
	if f&fSinglesDay != 0 {
		switch {
		case prof&profZH != 0:
			s *= 4.0
		case prof&profTikTok != 0:
			s *= 2.2
		}
	}
	if f&fSinglesRun != 0 && prof&profZH != 0 {
		s *= 1.3
	}
	if f&fJPNewYear != 0 && prof&profJP != 0 {
		s *= 1.8
	}
	return s
}
