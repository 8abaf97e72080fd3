package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Format is a webhook payload format.
type Format string

const (
	Slack      Format = "slack"
	Mattermost Format = "mattermost"
	Teams      Format = "teams"
	JSON       Format = "json"
)

// Formats lists the valid --webhook-format values.
var Formats = []Format{Slack, Teams, Mattermost, JSON}

// ParseFormat checks a --webhook-format value.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("webhook format %q: want slack, teams, mattermost or json", s)
}

// Service limits. Slack: a section's text ≤ 3,000 characters, a header's
// ≤ 150, ≤ 50 blocks a message (api.slack.com/reference/block-kit).
// Mattermost: a post ≤ 16,383 characters. Teams workflows: a message of
// about 28 KB at most, counted after Teams wraps it; 24 KiB of request
// leaves room for that.
const (
	SlackMaxBlocks      = 50
	SlackMaxSectionText = 3000
	SlackMaxHeaderText  = 150
	MattermostMaxText   = 16383
	TeamsMaxBytes       = 24 << 10
)

// Payload renders d in format f, within the service's size limits.
func Payload(f Format, d *Digest) ([]byte, error) {
	switch f {
	case Slack:
		return plan(d, func(full, named int) ([]byte, bool) { return slackPayload(d, full, named) })
	case Mattermost:
		return plan(d, func(full, named int) ([]byte, bool) { return mattermostPayload(d, full, named) })
	case Teams:
		return plan(d, func(full, named int) ([]byte, bool) { return teamsPayload(d, full, named) })
	case JSON:
		if !json.Valid(d.JSON) {
			return nil, fmt.Errorf("digest document is not valid JSON")
		}
		return d.JSON, nil
	}
	return nil, fmt.Errorf("webhook format %q: unknown", f)
}

// --- Slack Block Kit ---

type slackObj struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji *bool  `json:"emoji,omitempty"`
}

type slackBlock struct {
	Type     string     `json:"type"`
	Text     *slackObj  `json:"text,omitempty"`
	Elements []slackObj `json:"elements,omitempty"`
}

type slackMessage struct {
	Text   string       `json:"text"` // notification and fallback text
	Blocks []slackBlock `json:"blocks"`
}

func mrkdwn(s string) *slackObj { return &slackObj{Type: "mrkdwn", Text: s} }

// slackSection joins escaped lines into one section block within Slack's limit.
func slackSections(lines []string) []slackBlock {
	var out []slackBlock
	var cur []string
	n := 0
	flush := func() {
		if len(cur) > 0 {
			out = append(out, slackBlock{Type: "section", Text: mrkdwn(strings.Join(cur, "\n"))})
			cur, n = nil, 0
		}
	}
	for _, l := range lines {
		w := utf8.RuneCountInString(l) + 1
		if n+w > SlackMaxSectionText {
			flush()
		}
		cur = append(cur, l)
		n += w
	}
	flush()
	return out
}

func slackPayload(d *Digest, full, named int) ([]byte, bool) {
	no := false
	title := cut(printableLine(d.Title), SlackMaxHeaderText)
	blocks := []slackBlock{{Type: "header", Text: &slackObj{Type: "plain_text", Text: title, Emoji: &no}}}
	var sum []string
	for _, l := range d.Summary {
		sum = append(sum, slackText(cut(l, maxLineRunes)))
	}
	blocks = append(blocks, slackSections(sum)...)
	for _, it := range d.Items[:full] {
		lines := []string{"*" + slackText(itemHead(it)) + "*"}
		for _, l := range itemLines(it) {
			lines = append(lines, "• "+slackText(l))
		}
		blocks = append(blocks, slackBlock{Type: "section", Text: mrkdwn(joinWithin(lines, SlackMaxSectionText))})
	}
	var names []string
	for _, it := range d.Items[full : full+named] {
		names = append(names, "• "+slackText(namedLine(it)))
	}
	if r := restLine(d, full+named); r != "" {
		names = append(names, slackText(r))
	}
	blocks = append(blocks, slackSections(names)...)
	var foot []slackObj
	foot = append(foot, slackObj{Type: "mrkdwn", Text: slackText(coverage(d, full, named))})
	for i, n := range d.Notes {
		if i == 8 {
			foot = append(foot, slackObj{Type: "mrkdwn", Text: slackText(fmt.Sprintf("…and %d more notes in the mail.", len(d.Notes)-i))})
			break
		}
		foot = append(foot, slackObj{Type: "mrkdwn", Text: slackText(cut(n, maxLineRunes))})
	}
	blocks = append(blocks, slackBlock{Type: "context", Elements: foot})
	if len(blocks) > SlackMaxBlocks {
		return nil, false
	}
	b, err := json.Marshal(slackMessage{Text: slackText(cut(d.Title, maxLineRunes)), Blocks: blocks})
	return b, err == nil
}

// printableLine is plain text for fields that are not markup (Slack
// plain_text): sanitised, no escaping needed.
func printableLine(s string) string { return slackPlain(s) }

// --- Mattermost ---

type mattermostMessage struct {
	Text string `json:"text"`
}

func mattermostPayload(d *Digest, full, named int) ([]byte, bool) {
	var b strings.Builder
	b.WriteString("#### " + markdownText(cut(d.Title, maxLineRunes)) + "\n")
	for _, l := range d.Summary {
		b.WriteString(markdownText(cut(l, maxLineRunes)) + "  \n")
	}
	for _, it := range d.Items[:full] {
		b.WriteString("\n**" + markdownText(itemHead(it)) + "**\n")
		for _, l := range itemLines(it) {
			b.WriteString("- " + markdownText(l) + "\n")
		}
	}
	if named > 0 {
		b.WriteString("\n")
	}
	for _, it := range d.Items[full : full+named] {
		b.WriteString("- " + markdownText(namedLine(it)) + "\n")
	}
	if r := restLine(d, full+named); r != "" {
		b.WriteString("\n" + markdownText(r) + "\n")
	}
	b.WriteString("\n" + markdownText(coverage(d, full, named)) + "\n")
	for i, n := range d.Notes {
		if i == 8 {
			b.WriteString(markdownText(fmt.Sprintf("…and %d more notes in the mail.", len(d.Notes)-i)) + "\n")
			break
		}
		b.WriteString("_" + markdownText(cut(n, maxLineRunes)) + "_  \n")
	}
	text := b.String()
	if utf8.RuneCountInString(text) > MattermostMaxText {
		return nil, false
	}
	out, err := json.Marshal(mattermostMessage{Text: text})
	return out, err == nil
}

// --- Microsoft Teams (workflow webhook, Adaptive Card) ---

type teamsMessage struct {
	Type        string            `json:"type"`
	Attachments []teamsAttachment `json:"attachments"`
}

type teamsAttachment struct {
	ContentType string    `json:"contentType"`
	ContentURL  *string   `json:"contentUrl"`
	Content     teamsCard `json:"content"`
}

type teamsCard struct {
	Schema  string         `json:"$schema"`
	Type    string         `json:"type"`
	Version string         `json:"version"`
	MSTeams map[string]any `json:"msteams,omitempty"`
	Body    []teamsElement `json:"body"`
}

// Teams cards carry every text as RichTextBlock TextRuns, never as
// TextBlocks: a TextBlock is Markdown, and Teams clients disagree on
// backslash escapes (desktop removes them, mobile shows them or applies
// the markup anyway: AdaptiveCards issues #4677, #5590, #5758), while a
// TextRun is shown as typed on every client. So no escaping can fail, and
// a hostile "[x](http://evil)" stays text.
type teamsElement struct {
	Type      string     `json:"type"`
	Inlines   []teamsRun `json:"inlines"`
	Separator bool       `json:"separator,omitempty"`
	Spacing   string     `json:"spacing,omitempty"`
}

type teamsRun struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Weight   string `json:"weight,omitempty"`
	Size     string `json:"size,omitempty"`
	IsSubtle bool   `json:"isSubtle,omitempty"`
}

// teamsBlock is one paragraph of plain lines.
func teamsBlock(lines []string, weight, size string, subtle bool) teamsElement {
	return teamsElement{Type: "RichTextBlock", Inlines: []teamsRun{{
		Type: "TextRun", Text: strings.Join(lines, "\n"), Weight: weight, Size: size, IsSubtle: subtle,
	}}}
}

func teamsPayload(d *Digest, full, named int) ([]byte, bool) {
	plain := func(s string) string { return slackPlain(cut(s, maxLineRunes)) }
	body := []teamsElement{teamsBlock([]string{plain(d.Title)}, "Bolder", "Medium", false)}
	var sum []string
	for _, l := range d.Summary {
		sum = append(sum, plain(l))
	}
	if len(sum) > 0 {
		body = append(body, teamsBlock(sum, "", "", false))
	}
	for _, it := range d.Items[:full] {
		e := teamsElement{Type: "RichTextBlock", Separator: true, Inlines: []teamsRun{{Type: "TextRun", Text: slackPlain(itemHead(it)), Weight: "Bolder"}}}
		if ls := itemLines(it); len(ls) > 0 {
			esc := make([]string, len(ls))
			for i, l := range ls {
				esc[i] = "• " + slackPlain(l)
			}
			e.Inlines = append(e.Inlines, teamsRun{Type: "TextRun", Text: "\n" + strings.Join(esc, "\n")})
		}
		body = append(body, e)
	}
	var names []string
	for _, it := range d.Items[full : full+named] {
		names = append(names, "• "+slackPlain(namedLine(it)))
	}
	if r := restLine(d, full+named); r != "" {
		names = append(names, slackPlain(r))
	}
	if len(names) > 0 {
		e := teamsBlock(names, "", "", false)
		e.Separator = true
		body = append(body, e)
	}
	foot := []string{slackPlain(coverage(d, full, named))}
	for i, n := range d.Notes {
		if i == 8 {
			foot = append(foot, fmt.Sprintf("…and %d more notes in the mail.", len(d.Notes)-i))
			break
		}
		foot = append(foot, plain(n))
	}
	f := teamsBlock(foot, "", "Small", true)
	f.Separator = true
	body = append(body, f)
	msg := teamsMessage{Type: "message", Attachments: []teamsAttachment{{
		ContentType: "application/vnd.microsoft.card.adaptive",
		Content: teamsCard{
			// RichTextBlock needs card version 1.2.
			Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4",
			MSTeams: map[string]any{"width": "Full"}, Body: body,
		},
	}}}
	b, err := json.Marshal(msg)
	return b, err == nil && len(b) <= TeamsMaxBytes
}

func bytesValidJSON(b []byte) bool { return json.Valid(b) }
