package eve

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/buger/jsonparser"
)

// TimeLayout is how Suricata writes "timestamp": microseconds and a numeric
// zone without a colon. Parsing also accepts fewer fraction digits.
const TimeLayout = "2006-01-02T15:04:05.999999-0700"

// ErrNoEventType marks a line that is JSON-ish but carries no event_type.
var ErrNoEventType = errors.New("no event_type")

// EventType returns the line's event_type without decoding the rest.
// Suricata writes it as the fourth top-level key, after only flat values
// (timestamp, flow_id, in_iface), so a vectorised search for
// `"event_type":"` finds it; the fast path is taken only when everything
// before it is provably flat (no nesting, no escapes, quotes balanced), and
// anything else falls back to jsonparser, which walks the top-level keys.
// Invalid lines return an error and are counted by callers.
func EventType(line []byte) ([]byte, error) {
	if v, ok := eventTypeFast(line); ok {
		return v, nil
	}
	v, typ, _, err := jsonparser.Get(line, "event_type")
	if err != nil {
		if errors.Is(err, jsonparser.KeyPathNotFoundError) {
			return nil, ErrNoEventType
		}
		return nil, err
	}
	if typ != jsonparser.String {
		return nil, fmt.Errorf("event_type is %s, not a string", typ)
	}
	return v, nil
}

// eventTypeFast walks the top-level members before event_type, taking
// only the shape Suricata writes (no white space, keys and string values
// without escapes, flat scalars): there jsonparser.Get would see the same
// keys at the same level, so the first "event_type" is the one it returns.
// Each step is a vectorised search for the next quote or comma; anything
// else (a nested value, an escape, white space) is left to Get.
func eventTypeFast(line []byte) ([]byte, bool) {
	const maxMembers = 8 // Suricata writes event_type fourth at the latest
	if len(line) < 2 || line[0] != '{' {
		return nil, false
	}
	i := 1
	for range maxMembers {
		key, next, ok := plainString(line, i)
		if !ok || next >= len(line) || line[next] != ':' {
			return nil, false
		}
		i = next + 1
		if i >= len(line) {
			return nil, false
		}
		if string(key) == "event_type" {
			v, _, ok := plainString(line, i)
			return v, ok
		}
		switch line[i] {
		case '"':
			if _, i, ok = plainString(line, i); !ok {
				return nil, false
			}
		case '{', '[':
			return nil, false
		default:
			// A scalar: up to the comma, with nothing Get would read as
			// structure in between.
			j := i
			for j < len(line) && !scalarStop[line[j]] {
				j++
			}
			if j == i {
				return nil, false
			}
			i = j
		}
		if i >= len(line) || line[i] != ',' {
			return nil, false
		}
		i++
	}
	return nil, false
}

// scalarStop ends a bare scalar for eventTypeFast: any byte jsonparser
// treats as structure, or white space.
var scalarStop = [256]bool{',': true, '"': true, '{': true, '}': true, '[': true, ']': true, ':': true,
	' ': true, '\t': true, '\n': true, '\r': true}

// plainString reads the string starting at line[i] (its opening quote):
// its contents and the index after its closing quote; false if line[i] is
// not a quote, the string does not end, or it holds a backslash.
func plainString(line []byte, i int) ([]byte, int, bool) {
	if i >= len(line) || line[i] != '"' {
		return nil, 0, false
	}
	// Keys and these values are short: one byte loop beats two
	// vectorised searches.
	for j := i + 1; j < len(line); j++ {
		switch line[j] {
		case '"':
			return line[i+1 : j], j + 1, true
		case '\\':
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// ParseTime parses Suricata's timestamp format.
func ParseTime(s string) (time.Time, error) {
	if t, ok := parseTimeFast(s); ok {
		return t, nil
	}
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		// Some producers write RFC 3339 (colon in the zone); exports that
		// went through other tools may have lost the zone: read as UTC.
		if t2, err2 := time.Parse(time.RFC3339Nano, s); err2 == nil {
			return t2, nil
		}
		if t2, err2 := time.Parse("2006-01-02T15:04:05.999999", s); err2 == nil {
			return t2, nil
		}
		return time.Time{}, fmt.Errorf("timestamp %q: %w", s, err)
	}
	return t, nil
}

// parseTimeFast reads exactly what Suricata writes,
// "2006-01-02T15:04:05.000000+0000", without time.Parse's layout walk (a
// flow record has three timestamps, and time.Parse was a sixth of a
// report's CPU). Anything else falls back to time.Parse.
func parseTimeFast(s string) (time.Time, bool) {
	if len(s) != 31 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' ||
		(s[26] != '+' && s[26] != '-') {
		return time.Time{}, false
	}
	ok := true
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				ok = false
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, min, sec, usec := num(11, 2), num(14, 2), num(17, 2), num(20, 6)
	zh, zm := num(27, 2), num(29, 2)
	if !ok || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 59 || zh > 23 || zm > 59 {
		return time.Time{}, false
	}
	if day > daysIn(time.Month(month), year) {
		return time.Time{}, false
	}
	off := (zh*60 + zm) * 60
	if s[26] == '-' {
		off = -off
	}
	// The instant from the civil date directly (time.Date would redo the
	// normalisation and zone lookup this layout never needs).
	unix := daysFromCivil(year, month, day)*86400 + int64(hour*3600+min*60+sec) - int64(off)
	t := time.Unix(unix, int64(usec)*1000)
	if off == 0 {
		return t.UTC(), true
	}
	return t.In(time.FixedZone("", off)), true
}

// daysFromCivil is the number of days from 1970-01-01 to the given date of
// the proleptic Gregorian calendar (Howard Hinnant's days_from_civil).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 { // year 0000's January and February
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// Event is the typed view of one eve record. Only the sub-object matching
// EventType is set (Alert for "alert", Flow for "flow" and also for the flow
// object embedded in alerts, …).
type Event struct {
	Timestamp time.Time
	EventType string
	FlowID    uint64 // 64-bit, kept exact (no float64 round trip)
	InIface   string
	SrcIP     netip.Addr
	DestIP    netip.Addr
	SrcPort   uint16
	DestPort  uint16
	Proto     string
	AppProto  string

	Alert   *Alert
	Flow    *Flow
	Stats   *Stats
	Anomaly *Anomaly
	Drop    *Drop
	DNS     *DNS
	HTTP    *HTTP
	TLS     *TLS
}

// Alert is the "alert" object.
type Alert struct {
	Action      string
	GID         int64
	SignatureID int64
	Rev         int64
	Signature   string
	Category    string
	Severity    int
}

// Flow is the "flow" object (in flow events, and the flow summary of alerts).
type Flow struct {
	PktsToServer  int64
	PktsToClient  int64
	BytesToServer int64
	BytesToClient int64
	Start         time.Time
	End           time.Time
	State         string
	Reason        string
	Alerted       bool
}

// Stats holds the counters the reports use from a "stats" record. Counters
// are cumulative since Suricata started and reset when it restarts.
type Stats struct {
	Uptime        int64
	HasCapture    bool // false in pcap-file and some inline modes
	KernelPackets int64
	KernelDrops   int64
	KernelIfdrops int64
	DecoderPkts   int64
	DecoderBytes  int64
}

// Anomaly is the "anomaly" object.
type Anomaly struct {
	Type  string
	Event string
	Layer string
}

// Drop is the "drop" object of drop events.
type Drop struct {
	Len    int64
	Reason string
}

// DNS holds the basics of a dns record (query or answer).
type DNS struct {
	Type   string
	RRName string
	RRType string
	RCode  string
}

// HTTP holds the basics of an http record.
type HTTP struct {
	Hostname  string
	URL       string
	UserAgent string
	Method    string
	Status    int
	Refer     string
}

// TLS holds the basics of a tls record.
type TLS struct {
	SNI     string
	Version string
	Subject string
	Issuer  string
}

// Parse decodes the fields of line that the commands use, in one pass over
// the top-level keys (jsonparser.ObjectEach) and one over each sub-object it
// needs; values it does not need are skipped without decoding. It never
// fails on a missing field; it fails on a line that is not a complete JSON
// object and on a malformed timestamp, address or number in a field it
// reads, naming the field.
func Parse(line []byte) (*Event, error) {
	line = bytes.TrimSpace(line)
	if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' {
		// A torn write never ends in '}' (tailing.md §6.6).
		return nil, errors.New("not a complete JSON object")
	}
	ev := &Event{}
	err := jsonparser.ObjectEach(line, func(key, v []byte, vt jsonparser.ValueType, _ int) error {
		if vt == jsonparser.Null {
			return nil
		}
		if err := ev.top(key, v, vt); err != nil {
			return fmt.Errorf("field %s: %w", key, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if ev.EventType == "" {
		return nil, ErrNoEventType
	}
	return ev, nil
}

// each walks a sub-object, prefixing errors with its name.
func each(name string, v []byte, vt jsonparser.ValueType, fn func(key, v []byte, vt jsonparser.ValueType) error) error {
	if vt != jsonparser.Object {
		return fmt.Errorf("want an object, got %s", vt)
	}
	return jsonparser.ObjectEach(v, func(key, v []byte, vt jsonparser.ValueType, _ int) error {
		if vt == jsonparser.Null {
			return nil
		}
		if err := fn(key, v, vt); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		return nil
	})
}

func (ev *Event) top(key, v []byte, vt jsonparser.ValueType) error {
	var err error
	var s string
	switch string(key) {
	case "timestamp":
		if s, err = str(v, vt); err == nil {
			ev.Timestamp, err = ParseTime(s)
		}
	case "event_type":
		ev.EventType, err = str(v, vt)
	case "flow_id":
		if vt != jsonparser.Number {
			return fmt.Errorf("want a number, got %s", vt)
		}
		ev.FlowID, err = strconv.ParseUint(string(v), 10, 64)
	case "in_iface":
		ev.InIface, err = str(v, vt)
	case "src_ip":
		ev.SrcIP, err = addr(v, vt)
	case "dest_ip":
		ev.DestIP, err = addr(v, vt)
	case "src_port":
		ev.SrcPort, err = port(v, vt)
	case "dest_port":
		ev.DestPort, err = port(v, vt)
	case "proto":
		ev.Proto, err = str(v, vt)
	case "app_proto":
		ev.AppProto, err = str(v, vt)
	case "alert":
		ev.Alert = &Alert{}
		err = each("", v, vt, ev.Alert.set)
	case "flow":
		ev.Flow = &Flow{}
		err = each("", v, vt, ev.Flow.set)
	case "stats":
		ev.Stats = &Stats{}
		err = each("", v, vt, ev.Stats.set)
	case "anomaly":
		ev.Anomaly = &Anomaly{}
		err = each("", v, vt, func(k, v []byte, vt jsonparser.ValueType) error {
			return strField(k, v, vt, map3(k, "type", &ev.Anomaly.Type, "event", &ev.Anomaly.Event, "layer", &ev.Anomaly.Layer))
		})
	case "drop":
		ev.Drop = &Drop{}
		err = each("", v, vt, func(k, v []byte, vt jsonparser.ValueType) error {
			switch string(k) {
			case "len":
				var e error
				ev.Drop.Len, e = num(v, vt)
				return e
			case "reason":
				return strField(k, v, vt, &ev.Drop.Reason)
			}
			return nil
		})
	case "dns":
		ev.DNS = &DNS{}
		err = each("", v, vt, func(k, v []byte, vt jsonparser.ValueType) error {
			switch string(k) {
			case "type":
				return strField(k, v, vt, &ev.DNS.Type)
			case "rrname":
				return strField(k, v, vt, &ev.DNS.RRName)
			case "rrtype":
				return strField(k, v, vt, &ev.DNS.RRType)
			case "rcode":
				return strField(k, v, vt, &ev.DNS.RCode)
			}
			return nil
		})
	case "http":
		ev.HTTP = &HTTP{}
		err = each("", v, vt, ev.HTTP.set)
	case "tls":
		ev.TLS = &TLS{}
		err = each("", v, vt, func(k, v []byte, vt jsonparser.ValueType) error {
			switch string(k) {
			case "sni":
				return strField(k, v, vt, &ev.TLS.SNI)
			case "version":
				return strField(k, v, vt, &ev.TLS.Version)
			case "subject":
				return strField(k, v, vt, &ev.TLS.Subject)
			case "issuerdn":
				return strField(k, v, vt, &ev.TLS.Issuer)
			}
			return nil
		})
	default:
		// Not needed; ObjectEach has already skipped over the value, which
		// also checks that its brackets balance.
	}
	return err
}

// map3 picks the destination for one of three string keys (nil for others).
func map3(k []byte, k1 string, d1 *string, k2 string, d2 *string, k3 string, d3 *string) *string {
	switch string(k) {
	case k1:
		return d1
	case k2:
		return d2
	case k3:
		return d3
	}
	return nil
}

func strField(_ []byte, v []byte, vt jsonparser.ValueType, dst *string) error {
	if dst == nil {
		return nil
	}
	s, err := str(v, vt)
	*dst = s
	return err
}

func (a *Alert) set(k, v []byte, vt jsonparser.ValueType) error {
	var err error
	var n int64
	switch string(k) {
	case "action":
		a.Action, err = str(v, vt)
	case "gid":
		a.GID, err = num(v, vt)
	case "signature_id":
		a.SignatureID, err = num(v, vt)
	case "rev":
		a.Rev, err = num(v, vt)
	case "signature":
		a.Signature, err = str(v, vt)
	case "category":
		a.Category, err = str(v, vt)
	case "severity":
		n, err = num(v, vt)
		a.Severity = int(n)
	}
	return err
}

func (f *Flow) set(k, v []byte, vt jsonparser.ValueType) error {
	var err error
	var s string
	switch string(k) {
	case "pkts_toserver":
		f.PktsToServer, err = num(v, vt)
	case "pkts_toclient":
		f.PktsToClient, err = num(v, vt)
	case "bytes_toserver":
		f.BytesToServer, err = num(v, vt)
	case "bytes_toclient":
		f.BytesToClient, err = num(v, vt)
	case "start":
		if s, err = str(v, vt); err == nil {
			f.Start, err = ParseTime(s)
		}
	case "end":
		if s, err = str(v, vt); err == nil {
			f.End, err = ParseTime(s)
		}
	case "state":
		f.State, err = str(v, vt)
	case "reason":
		f.Reason, err = str(v, vt)
	case "alerted":
		f.Alerted, err = jsonparser.ParseBoolean(v)
	}
	return err
}

func (st *Stats) set(k, v []byte, vt jsonparser.ValueType) error {
	var err error
	switch string(k) {
	case "uptime":
		st.Uptime, err = num(v, vt)
	case "capture":
		err = each("", v, vt, func(k, v []byte, vt jsonparser.ValueType) error {
			var err error
			switch string(k) {
			case "kernel_packets":
				st.KernelPackets, err = num(v, vt)
				st.HasCapture = true
			case "kernel_drops":
				st.KernelDrops, err = num(v, vt)
				st.HasCapture = true
			case "kernel_ifdrops":
				st.KernelIfdrops, err = num(v, vt)
			}
			return err
		})
	case "decoder":
		err = each("", v, vt, func(k, v []byte, vt jsonparser.ValueType) error {
			var err error
			switch string(k) {
			case "pkts":
				st.DecoderPkts, err = num(v, vt)
			case "bytes":
				st.DecoderBytes, err = num(v, vt)
			}
			return err
		})
	}
	return err
}

func (h *HTTP) set(k, v []byte, vt jsonparser.ValueType) error {
	var err error
	switch string(k) {
	case "hostname":
		h.Hostname, err = str(v, vt)
	case "url":
		h.URL, err = str(v, vt)
	case "http_user_agent":
		h.UserAgent, err = str(v, vt)
	case "http_method":
		h.Method, err = str(v, vt)
	case "http_refer":
		h.Refer, err = str(v, vt)
	case "status":
		// Some exporters write the status as a string; it is not worth
		// rejecting the record over.
		var n int64
		if vt == jsonparser.String {
			n, _ = strconv.ParseInt(string(v), 10, 64)
		} else {
			n, err = num(v, vt)
		}
		h.Status = int(n)
	}
	return err
}

func str(v []byte, vt jsonparser.ValueType) (string, error) {
	if vt != jsonparser.String {
		return "", fmt.Errorf("want a string, got %s", vt)
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v), nil
	}
	return jsonparser.ParseString(v)
}

func num(v []byte, vt jsonparser.ValueType) (int64, error) {
	if vt != jsonparser.Number {
		return 0, fmt.Errorf("want a number, got %s", vt)
	}
	return parseInt(v)
}

// parseInt is strconv.ParseInt(string(v), 10, 64) with the counters and
// ports of eve (at most 18 digits, so no overflow) read inline; anything
// else, errors included, goes to strconv.
func parseInt(v []byte) (int64, error) {
	d := v
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 18 {
		return strconv.ParseInt(string(v), 10, 64)
	}
	var n int64
	for _, c := range d {
		if c < '0' || c > '9' {
			return strconv.ParseInt(string(v), 10, 64)
		}
		n = n*10 + int64(c-'0')
	}
	if len(d) < len(v) {
		n = -n
	}
	return n, nil
}

func port(v []byte, vt jsonparser.ValueType) (uint16, error) {
	n, err := num(v, vt)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > 65535 {
		return 0, fmt.Errorf("port %d out of range", n)
	}
	return uint16(n), nil
}

func addr(v []byte, vt jsonparser.ValueType) (netip.Addr, error) {
	// A plain dotted quad is read from the bytes: str's copy would be a
	// heap string per address, twice per flow. parseIPv4 refuses anything
	// ParseAddr would read differently, and an escape cannot be in a
	// string it accepts.
	if vt == jsonparser.String {
		if a, ok := parseIPv4(v); ok {
			return a, nil
		}
	}
	s, err := str(v, vt)
	if err != nil {
		return netip.Addr{}, err
	}
	return netip.ParseAddr(s)
}
