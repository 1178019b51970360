// Package routing decides which static FIFO message group a schedule period
// belongs to. The group is a function of the period value alone, never of a
// field the producer sets, so every event of one period reaches one group
// and no two consumers race on a period.
//
// EventBridge rules can only match, not compute, so the function has to be
// one that event patterns can express: a period (YYYY-MM-DD) is routed by
// its day of the month, matched as a suffix ("-01" … "-31"). The 31 days
// are dealt to the groups by weight, heaviest first onto the lightest
// group: days 1–28 occur 12 times in any 365 consecutive days, day 29 11 or
// 12 times, day 30 11 times and day 31 7 times. That bounds the largest
// group's share of any 365 consecutive days (see MaxShare); the FIFO tests
// check the bound on every window from 2020 to 2040.
//
// Any value that does not end in a day suffix (missing, null, a number, an
// empty string, another format) goes to the catch-all group, so no event
// matches zero rules. A period that is a JSON array matches the group of
// each element that ends in a day suffix: EventBridge matches an array if
// any element matches, and no pattern can refuse arrays. The consumer
// rejects a non-string period as poison, so such an event is never applied.
package routing

import (
	"fmt"
	"slices"
	"strings"
)

// MaxStaticGroups is the largest number of static groups: one per day of
// the month.
const MaxStaticGroups = 31

// CatchAllGroup receives events whose period does not end in a day suffix.
const CatchAllGroup = "catch-all"

// Group is one static message group and the days of the month it owns.
type Group struct {
	// ID is the MessageGroupId, "g0" … "g<n-1>".
	ID string
	// Days are the days of the month (1–31) routed to the group, ascending.
	Days []int
	// Suffixes are the period suffixes ("-01") an event pattern matches.
	Suffixes []string
}

// dayWeight is how often a day of the month occurs in 365 consecutive days,
// in quarter days (day 29 occurs 11 or 12 times, 11.25 on average).
func dayWeight(day int) int {
	switch day {
	case 29:
		return 45
	case 30:
		return 44
	case 31:
		return 28
	default:
		return 48
	}
}

// Validate reports a group count the patterns cannot express.
func Validate(groups int) error {
	if groups < 1 || groups > MaxStaticGroups {
		return fmt.Errorf("%d static groups: want 1 to %d (the period is routed by its day of the month, so there are at most %d distinct groups), or per-key for one group per period", groups, MaxStaticGroups, MaxStaticGroups)
	}
	return nil
}

// StaticGroups deals the days of the month to n groups (2 ≤ n ≤ 31). The
// result is deterministic: the same n always yields the same groups.
func StaticGroups(n int) ([]Group, error) {
	if err := Validate(n); err != nil {
		return nil, err
	}
	days := make([]int, MaxStaticGroups)
	for i := range days {
		days[i] = i + 1
	}
	// Heaviest first, lower day first among equals: longest-processing-time
	// scheduling, which keeps the heaviest group within 4/3 of the optimum.
	slices.SortStableFunc(days, func(a, b int) int { return dayWeight(b) - dayWeight(a) })
	load := make([]int, n)
	groups := make([]Group, n)
	for _, d := range days {
		lightest := 0
		for g := range load {
			if load[g] < load[lightest] {
				lightest = g
			}
		}
		load[lightest] += dayWeight(d)
		groups[lightest].Days = append(groups[lightest].Days, d)
	}
	for g := range groups {
		groups[g].ID = fmt.Sprintf("g%d", g)
		slices.Sort(groups[g].Days)
		for _, d := range groups[g].Days {
			groups[g].Suffixes = append(groups[g].Suffixes, DaySuffix(d))
		}
	}
	return groups, nil
}

// DaySuffix is the period suffix of a day of the month: 7 → "-07".
func DaySuffix(day int) string { return fmt.Sprintf("-%02d", day) }

// AllDaySuffixes lists "-01" … "-31": what the catch-all excludes.
func AllDaySuffixes() []string {
	out := make([]string, MaxStaticGroups)
	for d := 1; d <= MaxStaticGroups; d++ {
		out[d-1] = DaySuffix(d)
	}
	return out
}

// GroupOf returns the group a period value is delivered to among groups,
// exactly as the rules built from StaticGroups route it: the group whose
// suffix the value ends with, else the catch-all. It is what the planner
// and the local pipeline's tests compare the synthesized rules against.
func GroupOf(period string, groups []Group) string {
	for _, g := range groups {
		for _, s := range g.Suffixes {
			if strings.HasSuffix(period, s) {
				return g.ID
			}
		}
	}
	return CatchAllGroup
}
