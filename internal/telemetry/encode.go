package telemetry

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/buger/jsonparser"

	"github.com/suricron/suricron/internal/eve"
)

// kind says how one allowed field is copied.
type kind int

const (
	kText       kind = iota // string; embedded local addresses masked
	kNumber                 // JSON number, copied token for token (flow_id stays exact)
	kIP                     // one address; masked when local, dropped when unparseable
	kIPList                 // comma-separated addresses (X-Forwarded-For)
	kServerName             // hostname/SNI: dropped when the server is local
	kServerText             // certificate text: dropped when the server is local
	kRefer                  // URL reduced to scheme://host[:port]
	kNumbers                // array of numbers (vlan)
	kObject                 // nested object with its own allow-list
	kTime                   // eve timestamp: copied when it is one, else masked as text
)

// field is one entry of an allow-list.
type field struct {
	name   string
	kind   kind
	sub    []field // for kObject
	quoted []byte  // name as a JSON string, filled by init
}

// Schema is the allow-list of what leaves the sensor, nested keys included.
// Anything not named here is dropped: flow{}, payload, packet, metadata,
// dns, fileinfo, alert.signature/category/metadata, http.url,
// http.http_user_agent, request/response headers, tls.certificate/chain….
// research/telemetry.md §2 (the plugin's fields) and §8 (its leaks).
var schema = []field{
	{name: "timestamp", kind: kTime},
	{name: "flow_id", kind: kNumber},
	{name: "in_iface", kind: kText},
	{name: "event_type", kind: kText},
	{name: "vlan", kind: kNumbers},
	{name: "src_ip", kind: kIP},
	{name: "src_port", kind: kNumber},
	{name: "dest_ip", kind: kIP},
	{name: "dest_port", kind: kNumber},
	{name: "proto", kind: kText},
	{name: "app_proto", kind: kText},
	{name: "alert", kind: kObject, sub: []field{
		{name: "action", kind: kText},
		{name: "signature_id", kind: kNumber},
		{name: "rev", kind: kNumber},
		{name: "source", kind: kObject, sub: endpointFields},
		{name: "target", kind: kObject, sub: endpointFields},
	}},
	{name: "http", kind: kObject, sub: []field{
		{name: "hostname", kind: kServerName},
		{name: "http_port", kind: kNumber},
		{name: "http_refer", kind: kRefer},
		{name: "http_content_type", kind: kText},
		{name: "http_method", kind: kText},
		{name: "protocol", kind: kText},
		{name: "status", kind: kNumber},
		{name: "length", kind: kNumber},
		{name: "xff", kind: kIPList},
	}},
	{name: "tls", kind: kObject, sub: []field{
		{name: "version", kind: kText},
		{name: "sni", kind: kServerName},
		{name: "subject", kind: kServerText},
		{name: "issuerdn", kind: kServerText},
		{name: "serial", kind: kServerText},
		{name: "fingerprint", kind: kServerText},
		{name: "ja3", kind: kObject, sub: ja3Fields},
		{name: "ja3s", kind: kObject, sub: ja3Fields},
		{name: "ja4", kind: kText},
	}},
	// Decapsulated traffic carries the outer addresses here.
	{name: "tunnel", kind: kObject, sub: []field{
		{name: "src_ip", kind: kIP},
		{name: "src_port", kind: kNumber},
		{name: "dest_ip", kind: kIP},
		{name: "dest_port", kind: kNumber},
		{name: "proto", kind: kText},
		{name: "depth", kind: kNumber},
	}},
}

func init() {
	if n := prepare(schema); n > maxItems {
		panic(fmt.Sprintf("telemetry schema has %d fields, the scanner records at most %d", n, maxItems))
	}
}

// prepare fills the quoted names and counts the fields of an allow-list,
// nested ones included.
func prepare(fields []field) int {
	n := len(fields)
	for i := range fields {
		fields[i].quoted = eve.AppendString(nil, fields[i].name)
		if fields[i].kind == kObject {
			n += prepare(fields[i].sub)
		}
	}
	return n
}

var endpointFields = []field{{name: "ip", kind: kIP}, {name: "port", kind: kNumber}}

var ja3Fields = []field{{name: "hash", kind: kText}, {name: "string", kind: kText}}

// Encoder masks and serialises one eve record into the exact bytes that
// are uploaded. send and dump-data both call it, so a preview cannot drift
// from what is sent.
type Encoder struct {
	Local Locality
}

// ErrInvalid reports a line that is not a JSON object.
var ErrInvalid = errors.New("not a valid JSON object")

// Append appends the masked record (compact JSON, no newline, keys in eve's
// order, no HTML escaping) to dst. One scan of line validates it and finds
// the allowed fields (scan.go); only their values are then decoded, masked
// and written. An invalid line leaves dst as it was.
func (e *Encoder) Append(dst, line []byte) ([]byte, error) {
	var s scanner
	s.b = line
	if err := s.scanRecord(); err != nil {
		return dst, ErrInvalid
	}
	serverLocal := e.serverLocal(&s)
	// Callers that keep each body pass nil: one allocation of the usual
	// size of a masked alert instead of append's doubling from 8 bytes.
	dst = slices.Grow(dst, 512)
	dst, wrote := e.emitObject(dst, &s, s.items[:s.n], serverLocal)
	if !wrote {
		dst = append(dst, '{', '}')
	}
	return dst, nil
}

// serverLocal decides whether the application server of this record is
// local. Suricata logs to_client alerts with the server as src_ip. An
// unknown server counts as local, so its names are dropped.
func (e *Encoder) serverLocal(s *scanner) bool {
	server := s.dst
	if s.dir.ok && s.is(s.dir, "to_client") {
		server = s.src
	}
	if !server.ok {
		return true
	}
	a, ok := parseAddrText(s.text(server.start, server.end, server.esc))
	// The server's address field is written next: keep the parse.
	s.server, s.serverAddr, s.serverAddrOK = server, a, ok
	if !ok {
		return true
	}
	_, local := localAddr(e.Local, a)
	return local
}

// is compares a string the scan found with want, without copying it.
func (s *scanner) is(sp strSpan, want string) bool {
	if sp.esc {
		return s.text(sp.start, sp.end, true) == want
	}
	return string(s.b[sp.start:sp.end]) == want
}

// text is the decoded content of a string the scan found valid.
func (s *scanner) text(start, end int, esc bool) string {
	raw := s.b[start:end]
	if !esc {
		return string(raw)
	}
	// Decoding a validated string cannot fail: jsonparser.Unescape only
	// rejects malformed escapes, and lone surrogates become U+FFFD as in
	// encoding/json.
	out, err := jsonparser.Unescape(raw, nil)
	if err != nil {
		return ""
	}
	return string(out)
}

// emitObject writes the allowed fields of one object in input order (items
// holds them, each object followed by its own); it reports whether any
// field was written, since an object left empty is dropped.
func (e *Encoder) emitObject(dst []byte, s *scanner, items []found, serverLocal bool) ([]byte, bool) {
	start := len(dst)
	dst = append(dst, '{')
	n := 0
	for k := 0; k < len(items); k++ {
		it := &items[k]
		mark := len(dst)
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, it.f.quoted...)
		dst = append(dst, ':')
		var ok bool
		if it.typ == vObject {
			dst, ok = e.emitObject(dst, s, items[k+1:k+1+int(it.sub)], serverLocal)
			k += int(it.sub)
		} else {
			dst, ok = e.emitValue(dst, s, it, serverLocal)
		}
		if !ok {
			dst = dst[:mark]
			continue
		}
		n++
	}
	if n == 0 {
		return dst[:start], false
	}
	return append(dst, '}'), true
}

// emitValue writes one recorded value; ok=false drops the field. The scan
// recorded only values of the type their field takes.
func (e *Encoder) emitValue(dst []byte, s *scanner, it *found, serverLocal bool) ([]byte, bool) {
	raw := s.b[it.start:it.end]
	switch it.f.kind {
	case kNumber:
		return append(dst, raw...), true
	case kNumbers:
		if !it.allNumbers {
			return dst, false
		}
		return appendNumbers(dst, raw), true
	}
	if it.f.kind == kText && !it.esc && plainText(raw) {
		// Nothing to mask or escape: the bytes are their own output.
		dst = append(dst, '"')
		dst = append(dst, raw...)
		return append(dst, '"'), true
	}
	if it.f.kind == kIP {
		var a netip.Addr
		var ok bool
		if s.server.ok && int(it.start) == s.server.start {
			a, ok = s.serverAddr, s.serverAddrOK // the same bytes serverLocal parsed
		} else {
			a, ok = parseAddrText(s.text(int(it.start), int(it.end), it.esc))
		}
		if !ok {
			return dst, false // an IP field we cannot parse cannot be judged: drop it
		}
		return e.appendAddr(dst, a), true
	}
	str := s.text(int(it.start), int(it.end), it.esc)
	switch it.f.kind {
	case kIPList:
		return e.appendIPList(dst, str)
	case kServerName:
		a, isLocal, numeric := hostAddr(e.Local, str)
		switch {
		case isLocal:
			dst = append(dst, '"')
			dst = appendMaskedAddr(dst, a)
			return append(dst, '"'), true
		case a.IsValid():
			return eve.AppendString(dst, a.String()), true
		case numeric || serverLocal:
			// A numeric-looking host that is no address cannot be judged.
			return dst, false
		}
		return eve.AppendString(dst, scrubText(str, e.Local)), true
	case kTime:
		if _, ok := parseEveTime(str); ok && isTimeText(str) {
			return eve.AppendString(dst, str), true
		}
		return eve.AppendString(dst, scrubText(str, e.Local)), true
	case kServerText:
		if serverLocal {
			return dst, false
		}
		return eve.AppendString(dst, scrubText(str, e.Local)), true
	case kRefer:
		return e.appendRefer(dst, str, serverLocal)
	default:
		return eve.AppendString(dst, scrubText(str, e.Local)), true
	}
}

// plainText reports whether unescaped string content is written as it is:
// ASCII (no invalid UTF-8 to replace) without '.' or ':', the only bytes
// an address can hide behind (scrubText leaves such text alone).
func plainText(raw []byte) bool {
	for _, c := range raw {
		if c >= 0x80 || c == '.' || c == ':' {
			return false
		}
	}
	return true
}

// appendNumbers writes a validated array of numbers without its whitespace.
func appendNumbers(dst, raw []byte) []byte {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// appendIPList masks each address of an X-Forwarded-For list; anything
// that is not an address list is dropped whole.
func (e *Encoder) appendIPList(dst []byte, s string) ([]byte, bool) {
	parts := strings.Split(s, ",")
	var b []byte
	for i, p := range parts {
		a, ok := parseAddrText(p)
		if !ok {
			return dst, false
		}
		if i > 0 {
			b = append(b, ", "...)
		}
		if m, ok := localAddr(e.Local, a); ok {
			b = appendMaskedAddr(b, m)
		} else {
			b = append(b, a.String()...)
		}
	}
	return eve.AppendString(dst, string(b)), true
}

// appendAddr writes an address field: masked when it is local or embeds a
// local IPv4, else canonical (zone dropped).
func (e *Encoder) appendAddr(dst []byte, a netip.Addr) []byte {
	dst = append(dst, '"')
	if m, ok := localAddr(e.Local, a); ok {
		dst = appendMaskedAddr(dst, m)
	} else {
		dst = a.AppendTo(dst)
	}
	return append(dst, '"')
}

// isTimeText accepts only the characters of an eve timestamp, so nothing
// else rides along a value that parses as one.
func isTimeText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || c == '-' || c == ':' || c == '.' || c == '+' || c == 'T' || c == 'Z') {
			return false
		}
	}
	return true
}

// appendRefer keeps only scheme://host[:port] of a referer: its path and
// query carry session tokens and internal paths. A local address host is
// masked; a name is kept only when the server is external, as for hostname.
func (e *Encoder) appendRefer(dst []byte, s string, serverLocal bool) ([]byte, bool) {
	scheme, host, port, ok := referParts(s)
	if !ok {
		return dst, false
	}
	return e.appendReferParts(dst, scheme, host, port, serverLocal)
}

// appendReferParts is appendRefer after the split into scheme, host and
// port.
func (e *Encoder) appendReferParts(dst []byte, scheme, host, port string, serverLocal bool) ([]byte, bool) {
	if port != "" {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return dst, false
		}
	}
	var h string
	a, isLocal, numeric := hostAddr(e.Local, host)
	switch {
	case isLocal:
		h = string(appendMaskedAddr(nil, a))
		if a.Is6() && !a.Is4In6() {
			h = "[" + h + "]"
		}
	case a.IsValid():
		h = a.String()
		if a.Is6() {
			h = "[" + h + "]"
		}
	case numeric || serverLocal || !isHostname(host):
		return dst, false
	default:
		h = scrubText(strings.ToLower(host), e.Local)
	}
	out := strings.ToLower(scheme) + "://" + h
	if port != "" {
		out += ":" + port
	}
	return eve.AppendString(dst, out), true
}

// referParts splits a referer as url.Parse reads it: scheme, host without
// port, port; ok is false where url.Parse fails or finds no scheme or host.
// The common shape is split by hand (url.Parse was a fifth of the encoder's
// time): a letter-led scheme, "://", a host of letters, digits, '.', '-'
// and '_' with an optional ":digits", then anything without control bytes
// or '%', in which url.Parse finds nothing to reject. Everything else goes
// to url.Parse itself. FuzzReferParts holds the two to the same answers.
func referParts(s string) (scheme, host, port string, ok bool) {
	if scheme, host, port, ok := referFast(s); ok {
		return scheme, host, port, true
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Scheme == "" {
		return "", "", "", false
	}
	return u.Scheme, u.Hostname(), u.Port(), true
}

// referFast is referParts' hand-split path; ok=false means "ask url.Parse",
// not "invalid".
func referFast(s string) (scheme, host, port string, ok bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == '%' {
			return "", "", "", false
		}
	}
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' ||
		i > 0 && (isDigit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')) {
		i++
	}
	if i == 0 || !strings.HasPrefix(s[i:], "://") {
		return "", "", "", false
	}
	scheme = strings.ToLower(s[:i])
	rest := s[i+3:]
	end := 0
	for end < len(rest) && rest[end] != '/' && rest[end] != '?' && rest[end] != '#' {
		end++
	}
	auth := rest[:end]
	h := auth
	if c := strings.IndexByte(auth, ':'); c >= 0 {
		h, port = auth[:c], auth[c+1:]
		for k := 0; k < len(port); k++ {
			if !isDigit(port[k]) {
				return "", "", "", false
			}
		}
	}
	if h == "" {
		return "", "", "", false
	}
	for k := 0; k < len(h); k++ {
		if c := h[k]; !isAlnum(c) && c != '.' && c != '-' && c != '_' {
			return "", "", "", false
		}
	}
	return scheme, h, port, true
}

// isHostname accepts DNS-like names only, so a mangled URL cannot smuggle
// other text through the host part.
func isHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}
