// Package mail builds the RFC 5322 messages that suricron's commands send
// (alert-digest, weekly-report) and delivers them, over SMTP or through a
// local sendmail binary.
//
// Building uses the standard library's mime/multipart with boundaries
// chosen before any content is written (derived from a hash of the
// message, in a form that quoted-printable and base64 bodies cannot
// contain), so the bytes from Build are exactly what is sent and what
// --dry-run prints, can be golden-tested, and no content can change the MIME
// structure. Header injection is
// impossible: control characters in any header value or address are an
// error, never passed through.
//
// Delivery uses this package's own SMTP client (deadlines on the connection,
// verified TLS, optional custom CA) because the library's send paths have no
// timeouts. Failures that the next cron run may fix are reported as a
// *DeliveryError with Temporary set; IsTemporary tells callers to exit 75.
package mail

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	netmail "net/mail"
	"net/textproto"
	"os"
	"regexp"
	"strings"
	"time"
)

// Header is one extra header field, such as X-Suricron-Batch. Headers keep
// the order in which they are given.
type Header struct {
	Name  string
	Value string
}

// Part is an attachment. For Message.Inline, ContentID is what the HTML body
// refers to as "cid:<ContentID>", e.g. <img src="cid:alerts-per-day@suricron">.
type Part struct {
	ContentID   string // inline parts only; letters, digits and . _ + - @
	Filename    string // no path separators; non-ASCII is RFC 2231-encoded
	ContentType string // e.g. "image/png"; empty means application/octet-stream
	Data        []byte
}

// Message is a mail to build with Build.
type Message struct {
	From        string   // "alerts@sensor.example" or "Suricron <alerts@sensor.example>"
	To          []string // one address per entry, at least one
	Subject     string   // UTF-8; non-ASCII is encoded as RFC 2047 words
	Headers     []Header // extra fields; the ones Build writes itself are refused
	Text        string   // text/plain body
	HTML        string   // text/html body; Inline parts need it
	Inline      []Part   // images referenced from HTML by cid:
	Attachments []Part   // ordinary attachments

	// Date is the Date header; zero means time.Now(). Inject the caller's
	// clock here for reproducible output.
	Date time.Time
	// Host is the right-hand side of the Message-ID; empty means the
	// system host name.
	Host string
}

// reservedHeader reports whether Build writes this field itself (or it
// describes the MIME structure), so an extra header with that name would
// duplicate or contradict it. name is in canonical form.
func reservedHeader(name string) bool {
	switch name {
	case "Date", "From", "To", "Cc", "Bcc", "Subject", "Message-Id", "Mime-Version", "Sender",
		"Auto-Submitted", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
		"Content-Id", "Return-Path":
		return true
	}
	return false
}

// maxLine is RFC 5322's hard limit on a line, without CRLF.
const maxLine = 998

// foldAt is the soft limit at which Build folds header lines.
const foldAt = 78

var (
	contentIDRe = regexp.MustCompile(`^[A-Za-z0-9._+-]+(@[A-Za-z0-9._-]+)?$`)
	hostRe      = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$`)
)

// Build renders msg as an RFC 5322 message with CRLF line endings: the
// bytes to hand to Sender.Send or to print for --dry-run. Equal messages
// (including Date and Host) give equal bytes.
//
// Header order: Date, From, To, Subject, Message-ID, MIME-Version,
// Auto-Submitted (these mails are machine-generated; it stops vacation
// replies), the extra headers in order, then the MIME headers.
// Text and HTML become multipart/alternative; Inline parts sit with the HTML
// in multipart/related; Attachments wrap all of it in multipart/mixed.
func Build(msg *Message) ([]byte, error) {
	if msg == nil {
		return nil, errors.New("build message: nil message")
	}
	from, to, err := msg.addresses()
	if err != nil {
		return nil, fmt.Errorf("build message: %w", err)
	}
	if err := checkHeaderValue("Subject", msg.Subject); err != nil {
		return nil, fmt.Errorf("build message: %w", err)
	}
	for _, h := range msg.Headers {
		if err := checkExtraHeader(h); err != nil {
			return nil, fmt.Errorf("build message: %w", err)
		}
	}
	if msg.Text == "" && msg.HTML == "" {
		return nil, errors.New("build message: no text or HTML body")
	}
	if len(msg.Inline) > 0 && msg.HTML == "" {
		return nil, errors.New("build message: inline parts need an HTML body")
	}
	host, err := messageIDHost(msg.Host)
	if err != nil {
		return nil, fmt.Errorf("build message: %w", err)
	}
	date := msg.Date
	if date.IsZero() {
		date = time.Now()
	}

	root := &node{}
	var htmlNode *node
	if msg.HTML != "" {
		htmlNode = textLeaf("text/html", msg.HTML)
	}
	seenCID := map[string]bool{}
	var related []*node
	for i, p := range msg.Inline {
		if !contentIDRe.MatchString(p.ContentID) {
			return nil, fmt.Errorf("build message: inline part %d: bad Content-ID %q", i, p.ContentID)
		}
		if seenCID[p.ContentID] {
			return nil, fmt.Errorf("build message: inline part %d: duplicate Content-ID %q", i, p.ContentID)
		}
		seenCID[p.ContentID] = true
		a, err := attachment(p, "inline")
		if err != nil {
			return nil, fmt.Errorf("build message: inline part %d: %w", i, err)
		}
		a.header.Set("Content-ID", "<"+p.ContentID+">")
		related = append(related, a)
	}
	if len(related) > 0 {
		htmlNode = &node{multipart: "related", children: append([]*node{htmlNode}, related...)}
	}
	sum := msg.digest(date)
	tag := hex.EncodeToString(sum[:8])
	var mixed []*node
	for i, p := range msg.Attachments {
		if p.ContentID != "" {
			return nil, fmt.Errorf("build message: attachment %d: Content-ID is for inline parts", i)
		}
		a, err := attachment(p, "attachment")
		if err != nil {
			return nil, fmt.Errorf("build message: attachment %d: %w", i, err)
		}
		a.header.Set("Content-ID", fmt.Sprintf("<attachment-%d.%s@%s>", i+1, tag, host))
		mixed = append(mixed, a)
	}
	switch {
	case msg.Text != "" && htmlNode != nil:
		root = &node{multipart: "alternative", children: []*node{textLeaf("text/plain", msg.Text), htmlNode}}
	case htmlNode != nil:
		root = htmlNode
	default:
		root = textLeaf("text/plain", msg.Text)
	}
	if len(mixed) > 0 {
		root = &node{multipart: "mixed", children: append([]*node{root}, mixed...)}
	}
	// The structure is fixed here, before any content is written: the
	// boundaries are chosen, not found afterwards, so no body or header
	// text can add, remove or move a part.
	n := 0
	root.assignBoundaries(&n, tag)
	var body bytes.Buffer
	if err := root.writeBody(&body); err != nil {
		return nil, fmt.Errorf("build message: render MIME: %w", err)
	}

	var b bytes.Buffer
	writeField(&b, "Date", date.Format(time.RFC1123Z))
	writeList(&b, "From", []string{from.String()})
	toStr := make([]string, len(to))
	for i, a := range to {
		toStr[i] = a.String()
	}
	writeList(&b, "To", toStr)
	if msg.Subject != "" {
		writeField(&b, "Subject", encodeText(msg.Subject))
	}
	writeField(&b, "Message-ID", fmt.Sprintf("<%s.%s@%s>",
		date.UTC().Format("20060102150405"), hex.EncodeToString(sum[:10]), host))
	writeField(&b, "MIME-Version", "1.0")
	writeField(&b, "Auto-Submitted", "auto-generated")
	for _, h := range msg.Headers {
		writeField(&b, textproto.CanonicalMIMEHeaderKey(h.Name), encodeText(h.Value))
	}
	for _, k := range []string{"Content-Type", "Content-Transfer-Encoding"} {
		if v := root.header.Get(k); v != "" {
			writeField(&b, k, v)
		}
	}
	b.WriteString("\r\n")
	b.Write(body.Bytes())
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	for i, line := range bytes.Split(b.Bytes()[:b.Len()-2], []byte("\r\n")) {
		if len(line) > maxLine {
			return nil, fmt.Errorf("build message: line %d longer than %d bytes", i+1, maxLine)
		}
	}
	return b.Bytes(), nil
}

// Envelope returns the bare addresses of From and To, as SMTP's MAIL FROM
// and RCPT TO need them.
func (msg *Message) Envelope() (from string, to []string, err error) {
	f, t, err := msg.addresses()
	if err != nil {
		return "", nil, fmt.Errorf("message envelope: %w", err)
	}
	to = make([]string, len(t))
	for i, a := range t {
		to[i] = a.Address
	}
	return f.Address, to, nil
}

func (msg *Message) addresses() (*netmail.Address, []*netmail.Address, error) {
	from, err := parseAddress("From", msg.From)
	if err != nil {
		return nil, nil, err
	}
	if len(msg.To) == 0 {
		return nil, nil, errors.New("no To address")
	}
	to := make([]*netmail.Address, 0, len(msg.To))
	for _, s := range msg.To {
		a, err := parseAddress("To", s)
		if err != nil {
			return nil, nil, err
		}
		to = append(to, a)
	}
	return from, to, nil
}

// parseAddress accepts exactly one address. Control characters are refused
// before parsing because net/mail tolerates folding whitespace, which would
// let CR LF through into the header.
func parseAddress(field, s string) (*netmail.Address, error) {
	if err := checkHeaderValue(field, s); err != nil {
		return nil, err
	}
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%s address %q: %w", field, s, err)
	}
	if !isASCII(a.Address) {
		return nil, fmt.Errorf("%s address %q: non-ASCII addresses are not supported", field, s)
	}
	return a, nil
}

// checkHeaderValue refuses CR, LF and every other control character except
// TAB: they could end the header line and start a forged one.
func checkHeaderValue(field, v string) error {
	for _, r := range v {
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return fmt.Errorf("%s contains control character %U (header injection refused)", field, r)
		}
	}
	return nil
}

func checkExtraHeader(h Header) error {
	if h.Name == "" || len(h.Name) > 76 {
		return fmt.Errorf("header name %q: empty or too long", h.Name)
	}
	for i := 0; i < len(h.Name); i++ {
		c := h.Name[i]
		if c <= ' ' || c > '~' || c == ':' {
			return fmt.Errorf("header name %q: invalid character %q (header injection refused)", h.Name, c)
		}
	}
	if reservedHeader(textproto.CanonicalMIMEHeaderKey(h.Name)) {
		return fmt.Errorf("header %s is set by the message builder", h.Name)
	}
	return checkHeaderValue(h.Name, h.Value)
}

func messageIDHost(h string) (string, error) {
	if h != "" {
		if !hostRe.MatchString(h) {
			return "", fmt.Errorf("message-ID host %q is not a host name", h)
		}
		return h, nil
	}
	if name, err := os.Hostname(); err == nil && hostRe.MatchString(name) {
		return name, nil
	}
	return "localhost", nil
}

func attachment(p Part, disposition string) (*node, error) {
	if p.Filename == "" || strings.ContainsAny(p.Filename, `/\`) {
		return nil, fmt.Errorf("bad file name %q", p.Filename)
	}
	if err := checkHeaderValue("file name", p.Filename); err != nil {
		return nil, err
	}
	ct := p.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	if err := checkHeaderValue("content type", ct); err != nil {
		return nil, err
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, fmt.Errorf("content type %q: %w", ct, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		return nil, fmt.Errorf("content type %q: multipart parts are not supported", ct)
	}
	ct = mime.FormatMediaType(mt, params)
	disp := mime.FormatMediaType(disposition, map[string]string{"filename": p.Filename})
	if ct == "" || disp == "" {
		return nil, fmt.Errorf("cannot format headers for %q (%s)", p.Filename, p.ContentType)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", disp)
	h.Set("Content-Transfer-Encoding", "base64")
	return &node{header: h, data: p.Data}, nil
}

// digest identifies the message content and date. It seeds the Message-ID
// and the boundaries, so rebuilding the same message gives the same bytes
// while different messages get different IDs.
func (msg *Message) digest(date time.Time) [sha256.Size]byte {
	h := sha256.New()
	field := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(date.Format(time.RFC3339Nano))
	field(msg.From)
	for _, t := range msg.To {
		field(t)
	}
	field(msg.Subject)
	for _, x := range msg.Headers {
		field(x.Name)
		field(x.Value)
	}
	field(msg.Text)
	field(msg.HTML)
	for _, ps := range [][]Part{msg.Inline, msg.Attachments} {
		field("parts")
		for _, p := range ps {
			field(p.ContentID)
			field(p.Filename)
			field(p.ContentType)
			field(string(p.Data))
		}
	}
	var sum [sha256.Size]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// encodeText returns an unstructured header value as it goes on the wire:
// as is when it is plain ASCII, otherwise as RFC 2047 encoded words. Text
// that merely looks like an encoded word is encoded too, so a reader shows
// exactly what was given.
func encodeText(s string) string {
	if isASCII(s) && !strings.Contains(s, "=?") {
		return s
	}
	if isASCII(s) {
		// mime's encoders leave ASCII alone; force Q-encoding of the "=?".
		return qEncodeForced(s)
	}
	return mime.QEncoding.Encode("utf-8", s)
}

// qEncodeForced Q-encodes ASCII text that mime.QEncoding would pass
// through, in words short enough to fold.
func qEncodeForced(s string) string {
	const prefix, suffix = "=?utf-8?q?", "?="
	var words []string
	var w strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		var enc string
		switch {
		case c == ' ':
			enc = "_"
		case c == '=' || c == '?' || c == '_' || c < ' ' || c > '~':
			enc = fmt.Sprintf("=%02X", c)
		default:
			enc = string(c)
		}
		if len(prefix)+w.Len()+len(enc)+len(suffix) > 75 {
			words = append(words, prefix+w.String()+suffix)
			w.Reset()
		}
		w.WriteString(enc)
	}
	words = append(words, prefix+w.String()+suffix)
	return strings.Join(words, " ")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// writeField writes "Name: value" folded at spaces so lines stay near 78
// characters; unfolding (dropping the CRLFs) restores the value exactly.
func writeField(b *bytes.Buffer, name, value string) {
	line := name + ":"
	for i, tok := range strings.Split(value, " ") {
		// Never fold before an empty token: a folded line of only
		// whitespace is not allowed.
		if i > 0 && tok != "" && len(line)+1+len(tok) > foldAt {
			b.WriteString(line)
			b.WriteString("\r\n")
			line = ""
		}
		line += " " + tok
	}
	b.WriteString(line)
	b.WriteString("\r\n")
}

// writeList writes an address list, folding only between addresses.
func writeList(b *bytes.Buffer, name string, items []string) {
	line := name + ":"
	for i, it := range items {
		sep := " "
		if i > 0 {
			line += ","
			if len(line)+1+len(it) > foldAt {
				b.WriteString(line)
				b.WriteString("\r\n")
				line = ""
			}
		}
		line += sep + it
	}
	b.WriteString(line)
	b.WriteString("\r\n")
}
