package telemetry

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
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
	name string
	kind kind
	sub  []field // for kObject
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

// encState carries per-record facts that decide per-direction fields.
type encState struct {
	serverLocal bool
	scratch     []byte
}

// Append appends the masked record (compact JSON, no newline, keys in eve's
// order, no HTML escaping) to dst.
func (e *Encoder) Append(dst, line []byte) ([]byte, error) {
	if !json.Valid(line) {
		return dst, ErrInvalid
	}
	if t := firstByte(line); t != '{' {
		return dst, ErrInvalid
	}
	st := encState{serverLocal: e.serverLocal(line)}
	start := len(dst)
	dst, wrote, err := e.appendObject(dst, line, schema, &st)
	if err != nil {
		return dst[:start], err
	}
	if !wrote {
		dst = append(dst, '{', '}')
	}
	return dst, nil
}

func firstByte(b []byte) byte {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return c
		}
	}
	return 0
}

// serverLocal decides whether the application server of this record is
// local. Suricata logs to_client alerts with the server as src_ip. An
// unknown server counts as local, so its names are dropped.
func (e *Encoder) serverLocal(line []byte) bool {
	var src, dst, dir string
	jsonparser.EachKey(line, func(idx int, v []byte, vt jsonparser.ValueType, err error) {
		if err != nil || vt != jsonparser.String {
			return
		}
		s, _ := jsonparser.ParseString(v)
		switch idx {
		case 0:
			src = s
		case 1:
			dst = s
		case 2:
			dir = s
		}
	}, []string{"src_ip"}, []string{"dest_ip"}, []string{"direction"})
	server := dst
	if dir == "to_client" {
		server = src
	}
	a, ok := parseAddrText(server)
	if !ok {
		return true
	}
	_, local := localAddr(e.Local, a)
	return local
}

// appendObject writes the allowed fields of obj in input order; it reports
// whether any field was written. Repeated keys keep the first occurrence.
func (e *Encoder) appendObject(dst, obj []byte, fields []field, st *encState) ([]byte, bool, error) {
	start := len(dst)
	dst = append(dst, '{')
	var seen uint64 // allow-lists are shorter than 64 entries
	n := 0
	err := jsonparser.ObjectEach(obj, func(key, val []byte, vt jsonparser.ValueType, _ int) error {
		i := lookup(fields, key)
		if i < 0 || seen&(1<<uint(i)) != 0 {
			return nil
		}
		seen |= 1 << uint(i)
		mark := len(dst)
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = eve.AppendString(dst, fields[i].name)
		dst = append(dst, ':')
		var ok bool
		var err error
		dst, ok, err = e.appendValue(dst, val, vt, fields[i], st)
		if err != nil {
			return err
		}
		if !ok {
			dst = dst[:mark]
			return nil
		}
		n++
		return nil
	})
	if err != nil {
		return dst[:start], false, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if n == 0 {
		return dst[:start], false, nil
	}
	return append(dst, '}'), true, nil
}

func lookup(fields []field, key []byte) int {
	for i := range fields {
		if fields[i].name == string(key) {
			return i
		}
	}
	return -1
}

// appendValue writes one value; ok=false drops the field.
func (e *Encoder) appendValue(dst, val []byte, vt jsonparser.ValueType, f field, st *encState) ([]byte, bool, error) {
	switch f.kind {
	case kNumber:
		if vt != jsonparser.Number {
			return dst, false, nil
		}
		return append(dst, val...), true, nil
	case kNumbers:
		if vt != jsonparser.Array {
			return dst, false, nil
		}
		mark := len(dst)
		dst = append(dst, '[')
		n, bad := 0, false
		_, err := jsonparser.ArrayEach(val, func(v []byte, t jsonparser.ValueType, _ int, _ error) {
			if t != jsonparser.Number {
				bad = true
				return
			}
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, v...)
			n++
		})
		if err != nil || bad {
			return dst[:mark], false, nil
		}
		return append(dst, ']'), true, nil
	case kObject:
		if vt != jsonparser.Object {
			return dst, false, nil
		}
		return e.appendObject(dst, val, f.sub, st)
	}
	if vt != jsonparser.String {
		return dst, false, nil
	}
	s, err := e.unescape(val, st)
	if err != nil {
		return dst, false, nil
	}
	switch f.kind {
	case kIP:
		a, ok := parseAddrText(s)
		if !ok {
			return dst, false, nil // an IP field we cannot parse cannot be judged: drop it
		}
		return e.appendAddr(dst, a), true, nil
	case kIPList:
		return e.appendIPList(dst, s)
	case kServerName:
		a, isLocal, numeric := hostAddr(e.Local, s)
		switch {
		case isLocal:
			dst = append(dst, '"')
			dst = appendMaskedAddr(dst, a)
			return append(dst, '"'), true, nil
		case a.IsValid():
			return eve.AppendString(dst, a.String()), true, nil
		case numeric || st.serverLocal:
			// A numeric-looking host that is no address cannot be judged.
			return dst, false, nil
		}
		return eve.AppendString(dst, scrubText(s, e.Local)), true, nil
	case kTime:
		if _, ok := parseEveTime(s); ok && isTimeText(s) {
			return eve.AppendString(dst, s), true, nil
		}
		return eve.AppendString(dst, scrubText(s, e.Local)), true, nil
	case kServerText:
		if st.serverLocal {
			return dst, false, nil
		}
		return eve.AppendString(dst, scrubText(s, e.Local)), true, nil
	case kRefer:
		return e.appendRefer(dst, s, st)
	default:
		return eve.AppendString(dst, scrubText(s, e.Local)), true, nil
	}
}

func (e *Encoder) unescape(val []byte, st *encState) (string, error) {
	if !containsByte(val, '\\') {
		return string(val), nil
	}
	out, err := jsonparser.Unescape(val, st.scratch[:0])
	if err != nil {
		return "", err
	}
	return string(out), nil
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// appendIPList masks each address of an X-Forwarded-For list; anything
// that is not an address list is dropped whole.
func (e *Encoder) appendIPList(dst []byte, s string) ([]byte, bool, error) {
	parts := strings.Split(s, ",")
	var b []byte
	for i, p := range parts {
		a, ok := parseAddrText(p)
		if !ok {
			return dst, false, nil
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
	return eve.AppendString(dst, string(b)), true, nil
}

// appendAddr writes an address field: masked when it is local or embeds a
// local IPv4, else canonical (zone dropped).
func (e *Encoder) appendAddr(dst []byte, a netip.Addr) []byte {
	dst = append(dst, '"')
	if m, ok := localAddr(e.Local, a); ok {
		dst = appendMaskedAddr(dst, m)
	} else {
		dst = append(dst, a.String()...)
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
func (e *Encoder) appendRefer(dst []byte, s string, st *encState) ([]byte, bool, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Scheme == "" {
		return dst, false, nil
	}
	host, port := u.Hostname(), u.Port()
	if port != "" {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return dst, false, nil
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
	case numeric || st.serverLocal || !isHostname(host):
		return dst, false, nil
	default:
		h = scrubText(strings.ToLower(host), e.Local)
	}
	out := strings.ToLower(u.Scheme) + "://" + h
	if port != "" {
		out += ":" + port
	}
	return eve.AppendString(dst, out), true, nil
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
