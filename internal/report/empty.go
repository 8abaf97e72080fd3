package report

import (
	"fmt"
	"time"
)

// Issue 20: a report of a period without data ("no data for this period")
// left the operator guessing whether the logs were empty or simply from
// another time. When the period is empty the report says which times the
// data it did read covers, per file for --files and for the collected
// aggregates in state mode; the exit code stays 0.

// Span is the first and last event timestamp seen and how many events
// (alert, flow, stats) carried one.
type Span struct {
	Events int64     `json:"events"`
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
}

func (s *Span) add(t time.Time) {
	s.Events++
	if s.First.IsZero() || t.Before(s.First) {
		s.First = t
	}
	if t.After(s.Last) {
		s.Last = t
	}
}

// Coverage is what one source of a report held: an eve file (--files) or
// the aggregates collected in the state dir. It is reported only when the
// period had no data.
type Coverage struct {
	Source string    `json:"source"`
	First  time.Time `json:"first,omitzero"`
	Last   time.Time `json:"last,omitzero"`
	Events int64     `json:"events"`
}

// maxCoverageNotes bounds the notes of a --files glob over many files; the
// JSON keeps every file.
const maxCoverageNotes = 20

// noteCoverage adds the coverage of an empty period's sources to the
// report: structured for JSON, and as notes that the text, Markdown and
// HTML formats print under "Notes".
func noteCoverage(r *Report, cover func() ([]Coverage, error), loc *time.Location) error {
	if !r.NoData || cover == nil {
		return nil
	}
	covs, err := cover()
	if err != nil {
		return err
	}
	for i := range covs { // in the report's zone, as its period is
		covs[i].First, covs[i].Last = inLoc(covs[i].First, loc), inLoc(covs[i].Last, loc)
	}
	r.Coverage = covs
	const layout = "2006-01-02 15:04:05 -0700"
	var all Span
	for i, c := range covs {
		if c.Events > 0 {
			all.add(c.First)
			all.add(c.Last)
		}
		if i == maxCoverageNotes {
			r.Notes = append(r.Notes, fmt.Sprintf("… and %d more sources (all of them in --format json)", len(covs)-i))
		}
		if i >= maxCoverageNotes {
			continue
		}
		if c.Events == 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("%s: no alert, flow or stats events", c.Source))
			continue
		}
		r.Notes = append(r.Notes, fmt.Sprintf("%s covers %s to %s (%s)", c.Source,
			c.First.In(loc).Format(layout), c.Last.In(loc).Format(layout), plural(c.Events, "event", "events")))
	}
	if len(covs) > 1 && !all.First.IsZero() {
		r.Notes = append(r.Notes, fmt.Sprintf("all sources together cover %s to %s",
			all.First.In(loc).Format(layout), all.Last.In(loc).Format(layout)))
	}
	return nil
}

// storeCoverage is the span of the aggregates collected in the state dir:
// the first event of its oldest day to the last event of its newest.
// Days older than keepWeeks were pruned by this very run, which the
// source's name says: a report of an old week finds nothing even though
// eve.json once covered it.
func storeCoverage(store *Store, keepWeeks int) func() ([]Coverage, error) {
	return func() ([]Coverage, error) {
		c := Coverage{Source: fmt.Sprintf("aggregates collected in %s (the last %d weeks are kept)", store.Dir, keepWeeks)}
		dates, err := store.Dates()
		if err != nil {
			return nil, err
		}
		var s Span
		for _, date := range dates {
			d, err := store.ReadDay(date)
			if err != nil {
				return nil, err
			}
			if d == nil || d.Events == 0 {
				continue
			}
			s.Events += d.Events
			if s.First.IsZero() || d.First.Before(s.First) {
				s.First = d.First
			}
			if d.Last.After(s.Last) {
				s.Last = d.Last
			}
		}
		c.First, c.Last, c.Events = s.First, s.Last, s.Events
		return []Coverage{c}, nil
	}
}

func inLoc(t time.Time, loc *time.Location) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(loc)
}
