package digest

import (
	"fmt"
	"github.com/suricron/suricron/internal/printable"
	"strconv"
	"strings"
	"time"
)

// documentOf builds the Document from the mail's render model.
//
// MERGE NOTE: this adapter exists only because the digest rewrite (branch
// digest) builds the Document itself; when that lands, digest.Run passes
// its Document to batch.Doc and this file is deleted.
func documentOf(rep *report, cfg Config) *Document {
	doc := &Document{
		Version: DocumentVersion, Host: rep.Host, Batch: rep.Batch, Start: rep.First, End: rep.Last,
		Alerts: rep.Alerts, Signatures: rep.Signatures, High: rep.High,
		New: []SigCount{}, Fresh: []SigCount{}, Top: []SigCount{}, Sections: []Section{}, Others: []SigCount{},
		Notes: append([]string{}, rep.Notes...),
	}
	bySID := map[int64]int{}
	for _, s := range rep.Sigs {
		sc := SigCount{GID: 1, SID: s.SID, Signature: printable.String(s.Signature), Severity: s.Severity, Count: s.Count}
		bySID[s.SID] = len(doc.Sections)
		doc.Sections = append(doc.Sections, Section{SigCount: sc})
		if len(doc.Top) < TopSignatures {
			doc.Top = append(doc.Top, sc)
		}
	}
	for _, g := range rep.Groups {
		i, ok := bySID[g.SID]
		if !ok {
			continue
		}
		s := &doc.Sections[i]
		s.Category = g.Category
		first, _ := time.Parse(timeLayout, g.First)
		last, _ := time.Parse(timeLayout, g.Last)
		if s.FirstSeen.IsZero() || first.Before(s.FirstSeen) {
			s.FirstSeen = first
		}
		if last.After(s.LastSeen) {
			s.LastSeen = last
		}
		s.Sources++
		s.Destinations++
		if len(s.Pairs) < TopPairs {
			p := Pair{Src: g.Src, Dst: g.Dst, Count: g.Count, DstPorts: []int{}}
			for _, f := range strings.Split(g.Ports, ",") {
				if n, err := strconv.Atoi(f); err == nil {
					p.DstPorts = append(p.DstPorts, n)
				} else if f == "…" {
					p.MorePorts = true
				}
			}
			s.Pairs = append(s.Pairs, p)
		} else {
			s.MorePairs++
		}
		if s.Link == "" {
			s.Link = g.Link
		}
	}
	for _, s := range doc.Sections {
		switch s.Severity {
		case 1:
		case 2:
			doc.Medium += s.Count
		case 3:
			doc.Low += s.Count
		default:
			doc.Other += s.Count
		}
	}
	if rep.MoreSigs > 0 {
		doc.Notes = append(doc.Notes, fmt.Sprintf("%d more signatures (%d alerts) are listed in the mail.", rep.MoreSigs, rep.MoreSigAlts))
	}
	return doc
}
