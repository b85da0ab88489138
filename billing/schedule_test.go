package billing_test

import (
	"testing"
	"time"

	"github.com/kassapay/kassa/billing"
)

func TestPeriodStart_MonthEndAndLeapYearRules(t *testing.T) {
	at := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 30, 0, 0, time.UTC) }
	for _, c := range []struct {
		name   string
		anchor time.Time
		iv     billing.Interval
		count  int
		want   []time.Time // periods 0, 1, 2, ...
	}{
		{"the 31st, monthly: the month's last day when it has fewer, and the 31st again after", at(2027, time.January, 31), billing.Month, 1,
			[]time.Time{at(2027, time.January, 31), at(2027, time.February, 28), at(2027, time.March, 31), at(2027, time.April, 30), at(2027, time.May, 31)}},
		{"the 30th in a leap year", at(2028, time.January, 30), billing.Month, 1,
			[]time.Time{at(2028, time.January, 30), at(2028, time.February, 29), at(2028, time.March, 30)}},
		{"every 3 months from 30 November", at(2026, time.November, 30), billing.Month, 3,
			[]time.Time{at(2026, time.November, 30), at(2027, time.February, 28), at(2027, time.May, 30), at(2027, time.August, 30)}},
		{"29 February, yearly", at(2028, time.February, 29), billing.Year, 1,
			[]time.Time{at(2028, time.February, 29), at(2029, time.February, 28), at(2030, time.February, 28), at(2031, time.February, 28), at(2032, time.February, 29)}},
		{"weekly, across a year's end", at(2027, time.December, 29), billing.Week, 1,
			[]time.Time{at(2027, time.December, 29), at(2028, time.January, 5), at(2028, time.January, 12)}},
		{"every 2 days", at(2027, time.February, 27), billing.Day, 2,
			[]time.Time{at(2027, time.February, 27), at(2027, time.March, 1), at(2027, time.March, 3)}},
		{"an anchor in another zone is taken in UTC", time.Date(2027, time.March, 1, 1, 0, 0, 0, time.FixedZone("EET", 2*3600)), billing.Month, 1,
			[]time.Time{time.Date(2027, time.February, 28, 23, 0, 0, 0, time.UTC), time.Date(2027, time.March, 28, 23, 0, 0, 0, time.UTC)}},
	} {
		for n, want := range c.want {
			if got := billing.PeriodStart(c.anchor, c.iv, c.count, n); !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("%s: period %d starts %s, want %s UTC", c.name, n, got, want)
			}
		}
	}
}
