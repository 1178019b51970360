package redrive

import (
	"fmt"
	"io"
	"strings"
)

// Report is what a run did, per source and in total.
type Report struct {
	Stack  string `json:"stack"`
	DryRun bool   `json:"dryRun"`
	Rounds int    `json:"rounds"`
	// Events were put and accepted (in a dry run: would be put).
	Events int `json:"events"`
	// Periods the events belong to.
	Periods int `json:"periods"`
	// Rejected entries PutEvents refused; their messages or objects stay.
	Rejected int            `json:"rejected"`
	Sources  []*SourceStats `json:"sources"`
	// Problems name every message or object left in place, and why.
	Problems []string `json:"problems"`
	OK       bool     `json:"ok"`

	periods map[string]bool
}

// SourceStats counts one queue's or the bucket's messages or objects.
type SourceStats struct {
	// Source is the stack output naming it; Ref its URL or bucket name.
	Source string `json:"source"`
	Ref    string `json:"ref"`
	Found  int    `json:"found"`
	// Deleted after all of their events were accepted.
	Deleted int `json:"deleted"`
	// WouldDelete in a dry run.
	WouldDelete int `json:"wouldDelete"`
	// Kept in place: an event that does not parse, or was rejected.
	Kept int `json:"kept"`
	// Remaining once the run ended (-1: could not count).
	Remaining int `json:"remaining"`
}

// count records an event put (or, in a dry run, listed).
func (r *Report) count(period string) {
	if r.periods == nil {
		r.periods = map[string]bool{}
	}
	r.periods[period] = true
	r.Events++
	r.Periods = len(r.periods)
}

// finish names every item left in place, and decides OK: nothing kept,
// nothing rejected.
func (r *Report) finish(sources []*source) {
	for _, s := range sources {
		for _, it := range s.items {
			if len(it.problems) == 0 {
				continue
			}
			s.stats.Kept++
			r.Problems = append(r.Problems, fmt.Sprintf("%s %s stays: %s", s.output, it.id, strings.Join(it.problems, "; ")))
		}
	}
	r.OK = len(r.Problems) == 0 && r.Rejected == 0
}

// WriteText writes the problems, one line per source, then the summary.
func (r Report) WriteText(w io.Writer) error {
	var err error
	printf := func(format string, args ...any) {
		if err == nil {
			_, err = fmt.Fprintf(w, format, args...)
		}
	}
	for _, p := range r.Problems {
		printf("problem: %s\n", p)
	}
	for _, s := range r.Sources {
		if r.DryRun {
			printf("  %s: found %d, would delete %d, would keep %d, holds %d\n", s.Source, s.Found, s.WouldDelete, s.Kept, s.Remaining)
		} else {
			printf("  %s: found %d, deleted %d, kept %d, remaining %d\n", s.Source, s.Found, s.Deleted, s.Kept, s.Remaining)
		}
	}
	switch {
	case r.DryRun:
		printf("redrive DRY RUN: %s: would put %d event(s) of %d period(s) back on the bus; %d kept; nothing was sent or deleted\n",
			r.Stack, r.Events, r.Periods, len(r.Problems))
	default:
		verdict := "OK"
		if !r.OK {
			verdict = "INCOMPLETE"
		}
		printf("redrive %s: %s: put %d event(s) of %d period(s) back on the bus in %d round(s); %d rejected; %d message(s)/object(s) kept\n",
			verdict, r.Stack, r.Events, r.Periods, r.Rounds, r.Rejected, len(r.Problems))
	}
	return err
}
