package digest

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// LinkWindow is how far before the first and after the last alert of a
// group a link's time range reaches, as frosty's Kibana links do.
const LinkWindow = 60 * time.Minute

// LinkTemplate builds a per-group URL (Kibana Discover, EveBox, …) from a
// template with placeholders in braces:
//
//	{flow_id}  flow_id of the group's newest alert
//	{sid}      signature id
//	{src} {dst}  source and destination address
//	{from} {to}  the group's first and last alert ∓ 60 min, RFC 3339 UTC
//	{from_ms} {to_ms}  the same in Unix milliseconds
//
// Every value is percent-encoded except RFC 3986's unreserved characters,
// so it is safe in a path, a query or a fragment (IPv6 colons and the '+'
// of a time zone included). The template's own characters are kept as
// written, e.g. Kibana's rison: _g=(time:(from:'{from}',to:'{to}')).
type LinkTemplate struct {
	parts []linkPart
}

type linkPart struct {
	lit string
	ph  string // placeholder name; empty for a literal
}

var linkPlaceholders = map[string]bool{
	"flow_id": true, "sid": true, "src": true, "dst": true,
	"from": true, "to": true, "from_ms": true, "to_ms": true,
}

// ParseLinkTemplate checks the template: known placeholders, balanced
// braces, and an http or https URL once filled in.
func ParseLinkTemplate(tmpl string) (*LinkTemplate, error) {
	if strings.ContainsFunc(tmpl, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil, errors.New("control characters or spaces in the template")
	}
	lt := &LinkTemplate{}
	rest := tmpl
	for rest != "" {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			lt.parts = append(lt.parts, linkPart{lit: rest})
			break
		}
		if rest[open] == '}' {
			return nil, fmt.Errorf("unmatched '}' at byte %d", len(tmpl)-len(rest)+open)
		}
		if open > 0 {
			lt.parts = append(lt.parts, linkPart{lit: rest[:open]})
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return nil, fmt.Errorf("unclosed '{' at byte %d", len(tmpl)-len(rest)+open)
		}
		name := rest[open+1 : open+end]
		if !linkPlaceholders[name] {
			return nil, fmt.Errorf("unknown placeholder {%s} (known: flow_id, sid, src, dst, from, to, from_ms, to_ms)", name)
		}
		lt.parts = append(lt.parts, linkPart{ph: name})
		rest = rest[open+end+1:]
	}
	sample := lt.expand(map[string]string{"flow_id": "1", "sid": "1", "src": "::1", "dst": "::1",
		"from": "2000-01-01T00:00:00Z", "to": "2000-01-01T00:00:00Z", "from_ms": "0", "to_ms": "0"})
	u, err := url.Parse(sample)
	if err != nil {
		return nil, fmt.Errorf("not a URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("want an http:// or https:// URL with a host")
	}
	return lt, nil
}

// URL fills the template for one group.
func (lt *LinkTemplate) URL(g *Group) string {
	from := g.First.Add(-LinkWindow).UTC()
	to := g.Last.Add(LinkWindow).UTC()
	vals := map[string]string{
		"flow_id": strconv.FormatUint(g.FlowID, 10),
		"sid":     strconv.FormatInt(g.SID, 10),
		"from":    from.Format("2006-01-02T15:04:05.000Z07:00"),
		"to":      to.Format("2006-01-02T15:04:05.000Z07:00"),
		"from_ms": strconv.FormatInt(from.UnixMilli(), 10),
		"to_ms":   strconv.FormatInt(to.UnixMilli(), 10),
	}
	if g.Src.IsValid() {
		vals["src"] = g.Src.String()
	}
	if g.Dst.IsValid() {
		vals["dst"] = g.Dst.String()
	}
	return lt.expand(vals)
}

func (lt *LinkTemplate) expand(vals map[string]string) string {
	var b strings.Builder
	for _, p := range lt.parts {
		if p.ph == "" {
			b.WriteString(p.lit)
			continue
		}
		b.WriteString(escapeComponent(vals[p.ph]))
	}
	return b.String()
}

// escapeComponent percent-encodes everything but A-Z a-z 0-9 - . _ ~.
func escapeComponent(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') ||
			c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
