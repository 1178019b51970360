package routing_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/infra/routing"
)

// periods lists every date from 2020-01-01 to 2040-12-31, in order.
func periods() []time.Time {
	var out []time.Time
	for d := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() <= 2040; d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

func TestEveryDayBelongsToExactlyOneGroup(t *testing.T) {
	for n := 1; n <= routing.MaxStaticGroups; n++ {
		groups, err := routing.StaticGroups(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(groups) != n {
			t.Fatalf("n=%d: %d groups", n, len(groups))
		}
		var all []int
		for _, g := range groups {
			if len(g.Days) == 0 {
				t.Errorf("n=%d: group %s owns no day", n, g.ID)
			}
			all = append(all, g.Days...)
		}
		slices.Sort(all)
		for i, d := range all {
			if d != i+1 {
				t.Fatalf("n=%d: days dealt %v, want 1..31 once each", n, all)
			}
		}
	}
}

// TestLargestGroupShareIsBounded checks, over every window of 365
// consecutive days from 2020 to 2040, that no group carries more than its
// fair share plus one day of the month (12 days a year): the greedy deal
// puts each day on the currently lightest group, whose load is at most the
// mean, so no group exceeds the mean by more than the heaviest day.
func TestLargestGroupShareIsBounded(t *testing.T) {
	dates := periods()
	for n := 2; n <= routing.MaxStaticGroups; n++ {
		groups, _ := routing.StaticGroups(n)
		index := map[string]int{}
		for i, g := range groups {
			index[g.ID] = i
		}
		of := make([]int, len(dates))
		for i, d := range dates {
			id := routing.GroupOf(d.Format(time.DateOnly), groups)
			if id == routing.CatchAllGroup {
				t.Fatalf("n=%d: %s went to the catch-all", n, d.Format(time.DateOnly))
			}
			of[i] = index[id]
		}
		count := make([]int, n)
		for i := range 365 {
			count[of[i]]++
		}
		worst := slices.Max(count)
		for i := 365; i < len(dates); i++ {
			count[of[i]]++
			count[of[i-365]]--
			worst = max(worst, slices.Max(count))
		}
		share, bound := float64(worst)/365, 1/float64(n)+12.0/365
		if share > bound {
			t.Errorf("n=%d: largest group carries %d of 365 days (%.3f), above the bound 1/n + 12/365 = %.3f", n, worst, share, bound)
		}
	}
}

func TestGroupOfMatchesTheDayOfTheMonth(t *testing.T) {
	groups, _ := routing.StaticGroups(7)
	for _, d := range periods() {
		id := routing.GroupOf(d.Format(time.DateOnly), groups)
		owner := slices.IndexFunc(groups, func(g routing.Group) bool { return slices.Contains(g.Days, d.Day()) })
		if id != groups[owner].ID {
			t.Fatalf("%s went to %s, want %s (the owner of day %d)", d.Format(time.DateOnly), id, groups[owner].ID, d.Day())
		}
	}
	for _, bad := range []string{"", "2026-11-5", "2026/11/28", "20261128", "2026-11-32", "2026-11-00", "tomorrow"} {
		if id := routing.GroupOf(bad, groups); id != routing.CatchAllGroup {
			t.Errorf("GroupOf(%q) = %s, want the catch-all", bad, id)
		}
	}
}

func TestGroupCountsThePatternsCannotExpressAreRefused(t *testing.T) {
	for _, n := range []int{0, 32, 100} {
		_, err := routing.StaticGroups(n)
		if err == nil || !strings.Contains(err.Error(), "want 1 to 31") {
			t.Errorf("StaticGroups(%d) error %v, want one naming the allowed range", n, err)
		}
	}
}
