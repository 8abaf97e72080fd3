package notify

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/suricron/suricron/internal/printable"
)

// slackEscaper is what Slack documents for mrkdwn: &, < and > are the only
// control characters, and escaping them is enough to stop links
// (<http://x|text>), mentions (<!channel>, <@U123>) and dates. Emphasis
// characters (*_~`) are left: they can only change emphasis inside the one
// text object they are in.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// slackText makes attacker-controlled text safe inside a mrkdwn object.
func slackText(s string) string { return slackEscaper.Replace(printable.String(s)) }

// markdownSpecial are the characters that start or end Markdown markup
// anywhere in a line: emphasis, code, links and images ([ ]), autolinks and
// HTML (< >), entities (&), tables (|), strike-through and channel links
// (~), hashtags (#). Characters that are markup only at the start of a line
// (- + = > 1.) cannot be: printable.String turns every line break in
// attacker text into \n, and this package starts every line itself.
const markdownSpecial = "\\`*_[]<>&|~#"

// markdownText makes attacker-controlled text literal in Mattermost's
// Markdown: each significant character is backslash-escaped, so
// "[x](http://evil)" shows as typed and is no link.
func markdownText(s string) string {
	s = printable.String(s)
	if !strings.ContainsAny(s, markdownSpecial+"@") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch {
		case r == '@':
			// Mentions (@channel, @all, @here) are matched on the raw
			// text, where a backslash does not stop them; the
			// full-width at sign reads the same and mentions no one.
			b.WriteRune('＠')
		case r < utf8.RuneSelf && strings.ContainsRune(markdownSpecial, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cut shortens plain (not yet escaped) text to at most n runes, marking
// the cut. Cutting before escaping never splits an escape sequence.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Field caps, in runes of plain text, so that one hostile field cannot use
// up a message's whole size limit (escaping grows text at most 5×).
const (
	maxSigRunes  = 200
	maxLineRunes = 300
)

// joinWithin joins lines with newlines, stopping before the total would
// exceed limit (in runes) and saying how many lines were left out.
func joinWithin(lines []string, limit int) string {
	var b strings.Builder
	n := 0
	for i, l := range lines {
		w := utf8.RuneCountInString(l) + 1
		if i > 0 && n+w+24 > limit {
			b.WriteString("\n… " + itoa(int64(len(lines)-i)) + " more lines")
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
		n += w
	}
	return b.String()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func sevName(s int) string {
	switch s {
	case 1:
		return "high"
	case 2:
		return "medium"
	case 3:
		return "low"
	case 0:
		return "unknown"
	}
	return "severity " + itoa(int64(s))
}

// slackPlain is text for Slack plain_text objects, which Slack shows
// literally: only sanitised.
func slackPlain(s string) string { return printable.String(s) }
