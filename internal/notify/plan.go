package notify

import (
	"fmt"
	"sort"
	"strings"
)

// A chat message cannot hold every signature of a large batch. plan finds
// how many items a format can show in detail (full) and then by name and
// count only (named); the rest are summed in one line. Whatever is left
// out, the message says how many alerts the batch holds and how many of
// them it shows, and names the batch id so the mail or JSON can be found.
//
// build must be monotonic: if (full, named) fits, any smaller pair fits.
type buildFunc func(full, named int) ([]byte, bool)

// MaxDetailed caps the signatures a chat message shows in detail: a chat
// message is read at a glance, and the names and counts of the others say
// more than the details of the fiftieth; the mail has everything.
const MaxDetailed = 10

func plan(d *Digest, build buildFunc) ([]byte, error) {
	n := len(d.Items)
	if _, ok := build(0, 0); !ok {
		return nil, fmt.Errorf("even an empty message is over the size limit (title or notes too long)")
	}
	full := sort.Search(min(n, MaxDetailed)+1, func(k int) bool { _, ok := build(k, 0); return !ok }) - 1
	named := sort.Search(n-full+1, func(k int) bool { _, ok := build(full, k); return !ok }) - 1
	body, _ := build(full, named)
	return body, nil
}

// itemHead is an item's first line, plain text: "high · 12 × SIG (sid 1)".
func itemHead(it Item) string {
	s := fmt.Sprintf("%s · %s × %s (sid %d)", sevName(it.Severity), thousands(it.Count), cut(it.Signature, maxSigRunes), it.SID)
	if len(it.Tags) > 0 {
		tags := make([]string, len(it.Tags))
		for i, t := range it.Tags {
			tags[i] = cut(t, 40)
		}
		s += " [" + strings.Join(tags, ", ") + "]"
	}
	return s
}

// itemLines are an item's detail lines, plain text, each capped.
func itemLines(it Item) []string {
	out := make([]string, len(it.Lines))
	for i, l := range it.Lines {
		out[i] = cut(l, maxLineRunes)
	}
	return out
}

// namedLine is the short form: "12 × SIG (sid 1)".
func namedLine(it Item) string {
	return fmt.Sprintf("%s × %s (sid %d)", thousands(it.Count), cut(it.Signature, maxSigRunes), it.SID)
}

// rest sums the items after the first k.
func rest(d *Digest, k int) (sigs int, alerts int64) {
	for _, it := range d.Items[k:] {
		sigs++
		alerts += it.Count
	}
	return sigs, alerts
}

// coverage says what the message shows of the batch, in plain text.
func coverage(d *Digest, full, named int) string {
	shown := int64(0)
	for _, it := range d.Items[:full+named] {
		shown += it.Count
	}
	s := fmt.Sprintf("This message covers all %s of batch %s", plural(int64(d.Alerts), "alert", "alerts"), d.Batch)
	if sigs, alerts := rest(d, full+named); sigs > 0 {
		s += fmt.Sprintf("; it names %s (%s) and sums the other %s (%s) to fit the service's size limit: the mail or JSON digest lists them all",
			pluralInt(full+named, "signature", "signatures"), plural(shown, "alert", "alerts"),
			pluralInt(sigs, "signature", "signatures"), plural(alerts, "alert", "alerts"))
	}
	return s + "."
}

// restLine is the line that sums the items not shown, or "".
func restLine(d *Digest, k int) string {
	sigs, alerts := rest(d, k)
	if sigs == 0 {
		return ""
	}
	return fmt.Sprintf("…and %s more %s (%s).", thousands(int64(sigs)), pick(sigs == 1, "signature", "signatures"), plural(alerts, "alert", "alerts"))
}

func pluralInt(n int, one, many string) string { return plural(int64(n), one, many) }

// thousands formats n with comma separators: 12,345.
func thousands(n int64) string {
	s := itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func pick(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}
