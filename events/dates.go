package events

import (
	"sync/atomic"
	"time"
)

// The views hold a million dates or more (every deadline's start, every
// answer's, every commitment's): as separate strings they were a quarter of
// the objects the garbage collector marks on every cycle of a serving
// ledger (twenty-third session, BENCHMARKS). A date of the years the
// ledger's records fall in is instead a slice of one string per year that
// holds all of that year's dates, built on first use: a million dates are
// then some four hundred objects, and decoding one allocates nothing.
const (
	sharedFrom = 1900 // first year whose dates are shared
	sharedTo   = 2300 // first year after them
)

// dateYears holds each shared year's string: its days' dates one after
// the other, ten bytes each, the first of January first.
var dateYears [sharedTo - sharedFrom]atomic.Pointer[string]

// daysBefore[m] is the number of days before month m+1 in a common year.
var daysBefore = [13]int{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365}

func leap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// MonthDays returns the number of days of month m (1-12) of year y.
func MonthDays(y, m int) int {
	n := daysBefore[m] - daysBefore[m-1]
	if m == 2 && leap(y) {
		n++
	}
	return n
}

// DateOfDay returns the date y-m-d, the shared copy for the years most
// records fall in. The day must exist (m 1-12, d within the month) and y
// be 0-9999.
func DateOfDay(y, m, d int) Date {
	if y < sharedFrom || y >= sharedTo {
		b := [10]byte{
			byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
			byte('0' + m/10), byte('0' + m%10), '-',
			byte('0' + d/10), byte('0' + d%10),
		}
		return Date(b[:])
	}
	year := dateYears[y-sharedFrom].Load()
	if year == nil {
		year = buildYear(y)
	}
	at := daysBefore[m-1] + d - 1
	if m > 2 && leap(y) {
		at++
	}
	return Date((*year)[at*10 : at*10+10])
}

// buildYear sets year y's string unless another goroutine did first, and
// returns the one set.
func buildYear(y int) *string {
	n := 365
	if leap(y) {
		n = 366
	}
	b := make([]byte, 0, n*10)
	for t := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC); t.Year() == y; t = t.AddDate(0, 0, 1) {
		b = t.AppendFormat(b, DateLayout)
	}
	s := string(b)
	dateYears[y-sharedFrom].CompareAndSwap(nil, &s)
	return dateYears[y-sharedFrom].Load()
}

// DayOf reads a date in the form "2006-01-02": its year (0-9999), month
// and day; ok is false for any other text and for a day that does not
// exist. It accepts exactly what Date.Valid (time.Parse) accepts, without
// its cost: the read side reads every deadline's dates with it.
func DayOf(s string) (y, m, d int, ok bool) { return parseYMD(s) }

func parseYMD[T string | []byte](b T) (y, m, d int, ok bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, 0, 0, false
	}
	for i := 0; i < len(b); i++ {
		if c := b[i]; i != 4 && i != 7 && (c < '0' || c > '9') {
			return 0, 0, 0, false
		}
	}
	y = int(b[0]-'0')*1000 + int(b[1]-'0')*100 + int(b[2]-'0')*10 + int(b[3]-'0')
	m = int(b[5]-'0')*10 + int(b[6]-'0')
	d = int(b[8]-'0')*10 + int(b[9]-'0')
	if m < 1 || m > 12 || d < 1 || d > MonthDays(y, m) {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

// sharedDate returns the shared copy of the date b spells, if b is a
// valid date of a shared year.
func sharedDate[T string | []byte](b T) (Date, bool) {
	y, m, d, ok := parseYMD(b)
	if !ok || y < sharedFrom || y >= sharedTo {
		return "", false
	}
	return DateOfDay(y, m, d), true
}
