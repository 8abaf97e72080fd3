package eve

import (
	"bytes"
	"net/netip"
	"strconv"
	"time"

	"github.com/buger/jsonparser"
)

// AlertFields is the part of an alert record a digest reads: the alert
// object's identity and texts, the addresses and ports, the timestamp and
// the application-layer context (app_proto, http hostname and url, tls
// sni, dns rrname). ParseAlertFields extracts exactly these.
//
// The byte slices point into the line given to ParseAlertFields (or into
// the AlertFields' own buffer for strings that had escapes): they are valid
// until the line's memory is reused or the next ParseAlertFields call on
// the same AlertFields. Copy what must outlive that.
type AlertFields struct {
	Timestamp time.Time
	EventType []byte
	FlowID    uint64
	InIface   []byte
	SrcIP     netip.Addr
	DestIP    netip.Addr
	SrcPort   uint16
	DestPort  uint16
	Proto     []byte
	AppProto  []byte

	HasAlert    bool // the record has an "alert" object
	Action      []byte
	GID         int64
	SignatureID int64
	Rev         int64
	Signature   []byte
	Category    []byte
	Severity    int

	HasHTTP      bool
	HTTPHostname []byte
	HTTPURL      []byte
	HasTLS       bool
	TLSSNI       []byte
	HasDNS       bool
	DNSRRName    []byte

	buf []byte // unescaped strings
}

// ParseAlertFields fills f from line. It reads what Parse reads for these
// fields and gives the same values: for every line Parse accepts,
// ParseAlertFields accepts it too with identical values (FuzzAlertFields
// checks this), and a line Parse rejects because of a field read here is
// rejected with Parse's error.
//
// Speed comes from one forward pass over the bytes that stops at the end
// of the record's object: the wanted keys are decoded in place, all other
// values (flow, metadata, payload, …) are skipped by matching brackets and
// quotes without tokenising them, and strings without escapes are not
// copied. Anything the pass does not handle plainly — an escaped key, a
// repeated key it reads, a bracket mismatch, a malformed value, bytes after
// the object — sends the line to Parse, so the odd cases keep Parse's exact
// semantics (including its errors). Unlike Parse, it does not check the
// fields it does not read: a record whose flow.start is not a time is
// accepted here.
func ParseAlertFields(line []byte, f *AlertFields) error {
	buf := f.buf[:0]
	*f = AlertFields{buf: buf}
	line = bytes.TrimSpace(line)
	p := alertPass{line: line, f: f}
	if p.record() {
		return nil
	}
	ev, err := Parse(line)
	*f = AlertFields{buf: f.buf[:0]}
	if err != nil {
		return err
	}
	f.fromEvent(ev)
	return nil
}

// fromEvent copies Parse's result (the slow path).
func (f *AlertFields) fromEvent(ev *Event) {
	b := func(s string) []byte {
		if s == "" {
			return nil
		}
		start := len(f.buf)
		f.buf = append(f.buf, s...)
		return f.buf[start:len(f.buf):len(f.buf)]
	}
	f.Timestamp, f.EventType, f.FlowID, f.InIface = ev.Timestamp, b(ev.EventType), ev.FlowID, b(ev.InIface)
	f.SrcIP, f.DestIP, f.SrcPort, f.DestPort = ev.SrcIP, ev.DestIP, ev.SrcPort, ev.DestPort
	f.Proto, f.AppProto = b(ev.Proto), b(ev.AppProto)
	if a := ev.Alert; a != nil {
		f.HasAlert = true
		f.Action, f.GID, f.SignatureID, f.Rev = b(a.Action), a.GID, a.SignatureID, a.Rev
		f.Signature, f.Category, f.Severity = b(a.Signature), b(a.Category), a.Severity
	}
	if h := ev.HTTP; h != nil {
		f.HasHTTP, f.HTTPHostname, f.HTTPURL = true, b(h.Hostname), b(h.URL)
	}
	if t := ev.TLS; t != nil {
		f.HasTLS, f.TLSSNI = true, b(t.SNI)
	}
	if d := ev.DNS; d != nil {
		f.HasDNS, f.DNSRRName = true, b(d.RRName)
	}
}

// alertPass is one attempt at the fast path. Every method returns false
// when the input is not plain enough to be sure of giving Parse's answer.
type alertPass struct {
	line []byte
	i    int
	f    *AlertFields
	seen uint32 // keys read so far, to send repeated keys to Parse
}

// Bits of alertPass.seen, one per key read (top level and sub-objects).
const (
	kTimestamp = 1 << iota
	kEventType
	kFlowID
	kInIface
	kSrcIP
	kDestIP
	kSrcPort
	kDestPort
	kProto
	kAppProto
	kAlert
	kHTTP
	kTLS
	kDNS
	kAction
	kGID
	kSID
	kRev
	kSignature
	kCategory
	kSeverity
	kHostname
	kURL
	kSNI
	kRRName
)

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *alertPass) ws() {
	for p.i < len(p.line) && isSpace(p.line[p.i]) {
		p.i++
	}
}

func (p *alertPass) record() bool {
	if len(p.line) < 2 || p.line[0] != '{' {
		return false
	}
	p.i = 1
	ok := p.object(p.top)
	// Parse ignores bytes after the object but rejects a line not ending
	// in '}'; the fast path simply requires the object to end the line.
	return ok && p.i == len(p.line) && len(p.f.EventType) > 0
}

// object walks the members of an object whose '{' has been consumed,
// calling member with each key (the value not yet consumed); member must
// consume the value. It leaves p.i after the closing '}'.
func (p *alertPass) object(member func(key []byte) bool) bool {
	p.ws()
	if p.i < len(p.line) && p.line[p.i] == '}' {
		p.i++
		return true
	}
	for {
		p.ws()
		key, ok := p.rawString()
		if !ok || bytes.IndexByte(key, '\\') >= 0 {
			return false
		}
		p.ws()
		if p.i >= len(p.line) || p.line[p.i] != ':' {
			return false
		}
		p.i++
		p.ws()
		if p.i >= len(p.line) {
			return false
		}
		if !member(key) {
			return false
		}
		p.ws()
		if p.i >= len(p.line) {
			return false
		}
		switch p.line[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return true
		default:
			return false
		}
	}
}

// once records that bit's key was read; false for a repeat.
func (p *alertPass) once(bit uint32) bool {
	if p.seen&bit != 0 {
		return false
	}
	p.seen |= bit
	return true
}

// null consumes a null value (which Parse skips): true if there was one.
func (p *alertPass) null() bool {
	if bytes.HasPrefix(p.line[p.i:], []byte("null")) {
		p.i += 4
		return true
	}
	return false
}

func (p *alertPass) top(key []byte) bool {
	f := p.f
	switch string(key) {
	case "timestamp":
		return p.once(kTimestamp) && (p.null() || p.timestamp(&f.Timestamp))
	case "event_type":
		return p.once(kEventType) && (p.null() || p.str(&f.EventType))
	case "flow_id":
		return p.once(kFlowID) && (p.null() || p.uint(&f.FlowID))
	case "in_iface":
		return p.once(kInIface) && (p.null() || p.str(&f.InIface))
	case "src_ip":
		return p.once(kSrcIP) && (p.null() || p.addr(&f.SrcIP))
	case "dest_ip":
		return p.once(kDestIP) && (p.null() || p.addr(&f.DestIP))
	case "src_port":
		return p.once(kSrcPort) && (p.null() || p.port(&f.SrcPort))
	case "dest_port":
		return p.once(kDestPort) && (p.null() || p.port(&f.DestPort))
	case "proto":
		return p.once(kProto) && (p.null() || p.str(&f.Proto))
	case "app_proto":
		return p.once(kAppProto) && (p.null() || p.str(&f.AppProto))
	case "alert":
		return p.once(kAlert) && (p.null() || p.sub(&f.HasAlert, p.alert))
	case "http":
		return p.once(kHTTP) && (p.null() || p.sub(&f.HasHTTP, p.http))
	case "tls":
		return p.once(kTLS) && (p.null() || p.sub(&f.HasTLS, p.tls))
	case "dns":
		return p.once(kDNS) && (p.null() || p.sub(&f.HasDNS, p.dns))
	case "flow", "stats", "anomaly", "drop":
		// Parse decodes these (and may reject them); they are not read
		// here, but must at least be what Parse wants: an object.
		if p.line[p.i] != '{' && !bytes.HasPrefix(p.line[p.i:], []byte("null")) {
			return false
		}
	}
	return p.skip()
}

func (p *alertPass) sub(has *bool, member func(key []byte) bool) bool {
	if p.line[p.i] != '{' {
		return false // Parse: "want an object"
	}
	p.i++
	*has = true
	return p.object(member)
}

func (p *alertPass) alert(key []byte) bool {
	f := p.f
	switch string(key) {
	case "action":
		return p.once(kAction) && (p.null() || p.str(&f.Action))
	case "gid":
		return p.once(kGID) && (p.null() || p.int(&f.GID))
	case "signature_id":
		return p.once(kSID) && (p.null() || p.int(&f.SignatureID))
	case "rev":
		return p.once(kRev) && (p.null() || p.int(&f.Rev))
	case "signature":
		return p.once(kSignature) && (p.null() || p.str(&f.Signature))
	case "category":
		return p.once(kCategory) && (p.null() || p.str(&f.Category))
	case "severity":
		var n int64
		if !p.once(kSeverity) {
			return false
		}
		if p.null() {
			return true
		}
		if !p.int(&n) {
			return false
		}
		f.Severity = int(n)
		return true
	}
	return p.skip()
}

func (p *alertPass) http(key []byte) bool {
	switch string(key) {
	case "hostname":
		return p.once(kHostname) && (p.null() || p.str(&p.f.HTTPHostname))
	case "url":
		return p.once(kURL) && (p.null() || p.str(&p.f.HTTPURL))
	case "http_user_agent", "http_method", "http_refer", "status":
		// Parse reads and type-checks these; leave them to it unless
		// they are plain strings (or null), which Parse accepts.
		if c := p.line[p.i]; c != '"' && c != 'n' && !(key[0] == 's' && (c == '-' || ('0' <= c && c <= '9'))) {
			return false
		}
		if key[0] == 's' && p.line[p.i] != '"' && p.line[p.i] != 'n' {
			var n int64
			return p.int(&n)
		}
		if p.line[p.i] == 'n' {
			return p.null()
		}
		var s []byte
		return p.str(&s)
	}
	return p.skip()
}

func (p *alertPass) tls(key []byte) bool {
	switch string(key) {
	case "sni":
		return p.once(kSNI) && (p.null() || p.str(&p.f.TLSSNI))
	case "version", "subject", "issuerdn":
		return p.plainString()
	}
	return p.skip()
}

func (p *alertPass) dns(key []byte) bool {
	switch string(key) {
	case "rrname":
		return p.once(kRRName) && (p.null() || p.str(&p.f.DNSRRName))
	case "type", "rrtype", "rcode":
		return p.plainString()
	}
	return p.skip()
}

// plainString consumes a string or null value that Parse type-checks but
// the digest does not read.
func (p *alertPass) plainString() bool {
	if p.null() {
		return true
	}
	var s []byte
	return p.str(&s)
}

// rawString consumes a string token and returns its raw contents.
func (p *alertPass) rawString() ([]byte, bool) {
	if p.i >= len(p.line) || p.line[p.i] != '"' {
		return nil, false
	}
	start := p.i + 1
	j := start
	for {
		k := bytes.IndexByte(p.line[j:], '"')
		if k < 0 {
			return nil, false
		}
		j += k
		// The quote ends the string unless an odd run of backslashes
		// precedes it.
		bs := 0
		for b := j - 1; b >= start && p.line[b] == '\\'; b-- {
			bs++
		}
		if bs%2 == 0 {
			break
		}
		j++
	}
	p.i = j + 1
	return p.line[start:j], true
}

// str consumes a string value as Parse's str reads it.
func (p *alertPass) str(dst *[]byte) bool {
	raw, ok := p.rawString()
	if !ok {
		return false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		*dst = raw
		return true
	}
	s, err := jsonparser.ParseString(raw)
	if err != nil {
		return false
	}
	start := len(p.f.buf)
	p.f.buf = append(p.f.buf, s...)
	*dst = p.f.buf[start:len(p.f.buf):len(p.f.buf)]
	return true
}

// number consumes a number token: an optional '-' and digits, ended by a
// delimiter (anything else goes to Parse).
func (p *alertPass) number() ([]byte, bool) {
	start := p.i
	j := start
	if j < len(p.line) && p.line[j] == '-' {
		j++
	}
	d := j
	for j < len(p.line) && '0' <= p.line[j] && p.line[j] <= '9' {
		j++
	}
	if j == d || j >= len(p.line) {
		return nil, false
	}
	if c := p.line[j]; c != ',' && c != '}' && !isSpace(c) {
		return nil, false
	}
	p.i = j
	return p.line[start:j], true
}

func (p *alertPass) int(dst *int64) bool {
	v, ok := p.number()
	if !ok {
		return false
	}
	n, err := parseInt(v)
	*dst = n
	return err == nil
}

func (p *alertPass) uint(dst *uint64) bool {
	v, ok := p.number()
	if !ok {
		return false
	}
	n, err := strconv.ParseUint(string(v), 10, 64)
	*dst = n
	return err == nil
}

func (p *alertPass) port(dst *uint16) bool {
	var n int64
	if !p.int(&n) || n < 0 || n > 65535 {
		return false
	}
	*dst = uint16(n)
	return true
}

func (p *alertPass) addr(dst *netip.Addr) bool {
	var s []byte
	if !p.str(&s) {
		return false
	}
	if a, ok := parseIPv4(s); ok {
		*dst = a
		return true
	}
	a, err := netip.ParseAddr(string(s))
	*dst = a
	return err == nil
}

// parseIPv4 reads dotted-quad IPv4 as netip.ParseAddr does (four decimal
// fields 0-255, no leading zeros) without converting to a string, which
// would allocate for every address; anything else goes to ParseAddr.
func parseIPv4(s []byte) (netip.Addr, bool) {
	var ip [4]byte
	field, n, digits := 0, 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if digits == 0 || field > 3 {
				return netip.Addr{}, false
			}
			ip[field] = byte(n)
			field, n, digits = field+1, 0, 0
			continue
		}
		c := s[i]
		if c < '0' || c > '9' || (digits == 1 && n == 0) {
			return netip.Addr{}, false
		}
		n = n*10 + int(c-'0')
		digits++
		if n > 255 {
			return netip.Addr{}, false
		}
	}
	if field != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(ip), true
}

func (p *alertPass) timestamp(dst *time.Time) bool {
	var s []byte
	if !p.str(&s) {
		return false
	}
	// parseTimeFast keeps no reference to its argument, so this
	// conversion does not allocate; ParseTime's would.
	if t, ok := parseTimeFast(string(s)); ok {
		*dst = t
		return true
	}
	t, err := ParseTime(string(s))
	*dst = t
	return err == nil
}

// skip consumes a value that is not read: a string, a balanced object or
// array (brackets must match, strings may hold anything), or a bare token
// (number, true, false, null) up to the next delimiter.
func (p *alertPass) skip() bool {
	switch c := p.line[p.i]; c {
	case '"':
		_, ok := p.rawString()
		return ok
	case '{', '[':
		return p.block()
	default:
		// A bare token, up to the next delimiter: Parse (jsonparser) takes
		// the literals and anything that starts like a number; leave the
		// rest to it.
		j := p.i
		for j < len(p.line) && !isSpace(p.line[j]) && p.line[j] != ',' && p.line[j] != '}' && p.line[j] != ']' {
			j++
		}
		tok := p.line[p.i:j]
		if !(c == '-' || ('0' <= c && c <= '9') || string(tok) == "true" || string(tok) == "false" || string(tok) == "null") {
			return false
		}
		p.i = j
		return true
	}
}

// block skips a nested object or array, checking that brackets match.
func (p *alertPass) block() bool {
	var stack [64]byte
	depth := 0
	for p.i < len(p.line) {
		c := p.line[p.i]
		switch c {
		case '"':
			if _, ok := p.rawString(); !ok {
				return false
			}
			continue
		case '{', '[':
			if depth == len(stack) {
				return false
			}
			stack[depth] = c
			depth++
		case '}', ']':
			if depth == 0 || (c == '}') != (stack[depth-1] == '{') {
				return false
			}
			depth--
			if depth == 0 {
				p.i++
				return true
			}
		}
		p.i++
	}
	return false
}
