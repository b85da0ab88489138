package billing

import "time"

// PeriodStart returns the start of period n (0 the first) of a schedule of count
// intervals iv anchored at anchor, in UTC. Each start is computed from the anchor,
// never from the period before, so a short month does not move later periods:
//
//   - day and week add 24-hour days (UTC has no daylight saving time);
//   - month adds calendar months and keeps the anchor's day of the month and time of
//     day; when the month is shorter, its last day: an anchor on 31 January starts
//     periods on 28 February (29 in a leap year), 31 March, 30 April, 31 May;
//   - year is twelve months: an anchor on 29 February bills on 28 February in the
//     years without one.
func PeriodStart(anchor time.Time, iv Interval, count, n int) time.Time {
	a := anchor.UTC()
	switch iv {
	case Day:
		return a.AddDate(0, 0, count*n)
	case Week:
		return a.AddDate(0, 0, 7*count*n)
	case Year:
		return addMonths(a, 12*count*n)
	default:
		return addMonths(a, count*n)
	}
}

// addMonths adds k calendar months to a, keeping its day or taking the month's last.
func addMonths(a time.Time, k int) time.Time {
	y, m, d := a.Date()
	first := time.Date(y, m+time.Month(k), 1, a.Hour(), a.Minute(), a.Second(), a.Nanosecond(), time.UTC)
	last := time.Date(first.Year(), first.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}
