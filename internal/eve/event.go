package eve

import (
	"encoding/json"
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

// EventType returns the line's event_type without decoding the rest:
// jsonparser walks the top-level keys and stops at event_type, which Suricata
// writes fourth. Invalid lines return an error and are counted by callers.
func EventType(line []byte) ([]byte, error) {
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

// ParseTime parses Suricata's timestamp format.
func ParseTime(s string) (time.Time, error) {
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

// field indexes into paths; EachKey reports by index.
const (
	fTimestamp = iota
	fEventType
	fFlowID
	fInIface
	fSrcIP
	fDestIP
	fSrcPort
	fDestPort
	fProto
	fAppProto
	fAlertAction
	fAlertGID
	fAlertSID
	fAlertRev
	fAlertSig
	fAlertCat
	fAlertSev
	fFlowPktsTS
	fFlowPktsTC
	fFlowBytesTS
	fFlowBytesTC
	fFlowStart
	fFlowEnd
	fFlowState
	fFlowReason
	fFlowAlerted
	fStatsUptime
	fStatsKPkts
	fStatsKDrops
	fStatsKIfdrops
	fStatsDecPkts
	fStatsDecBytes
	fAnomType
	fAnomEvent
	fAnomLayer
	fDropLen
	fDropReason
	fDNSType
	fDNSRRName
	fDNSRRType
	fDNSRCode
	fHTTPHost
	fHTTPURL
	fHTTPUA
	fHTTPMethod
	fHTTPStatus
	fHTTPRefer
	fTLSSNI
	fTLSVersion
	fTLSSubject
	fTLSIssuer
	nFields
)

var paths = [nFields][]string{
	fTimestamp: {"timestamp"}, fEventType: {"event_type"}, fFlowID: {"flow_id"},
	fInIface: {"in_iface"}, fSrcIP: {"src_ip"}, fDestIP: {"dest_ip"},
	fSrcPort: {"src_port"}, fDestPort: {"dest_port"}, fProto: {"proto"}, fAppProto: {"app_proto"},
	fAlertAction: {"alert", "action"}, fAlertGID: {"alert", "gid"}, fAlertSID: {"alert", "signature_id"},
	fAlertRev: {"alert", "rev"}, fAlertSig: {"alert", "signature"}, fAlertCat: {"alert", "category"},
	fAlertSev:   {"alert", "severity"},
	fFlowPktsTS: {"flow", "pkts_toserver"}, fFlowPktsTC: {"flow", "pkts_toclient"},
	fFlowBytesTS: {"flow", "bytes_toserver"}, fFlowBytesTC: {"flow", "bytes_toclient"},
	fFlowStart: {"flow", "start"}, fFlowEnd: {"flow", "end"}, fFlowState: {"flow", "state"},
	fFlowReason: {"flow", "reason"}, fFlowAlerted: {"flow", "alerted"},
	fStatsUptime: {"stats", "uptime"}, fStatsKPkts: {"stats", "capture", "kernel_packets"},
	fStatsKDrops: {"stats", "capture", "kernel_drops"}, fStatsKIfdrops: {"stats", "capture", "kernel_ifdrops"},
	fStatsDecPkts: {"stats", "decoder", "pkts"}, fStatsDecBytes: {"stats", "decoder", "bytes"},
	fAnomType: {"anomaly", "type"}, fAnomEvent: {"anomaly", "event"}, fAnomLayer: {"anomaly", "layer"},
	fDropLen: {"drop", "len"}, fDropReason: {"drop", "reason"},
	fDNSType: {"dns", "type"}, fDNSRRName: {"dns", "rrname"}, fDNSRRType: {"dns", "rrtype"}, fDNSRCode: {"dns", "rcode"},
	fHTTPHost: {"http", "hostname"}, fHTTPURL: {"http", "url"}, fHTTPUA: {"http", "http_user_agent"},
	fHTTPMethod: {"http", "http_method"}, fHTTPStatus: {"http", "status"}, fHTTPRefer: {"http", "http_refer"},
	fTLSSNI: {"tls", "sni"}, fTLSVersion: {"tls", "version"}, fTLSSubject: {"tls", "subject"}, fTLSIssuer: {"tls", "issuerdn"},
}

var pathList = paths[:]

// Parse decodes the fields of line that the commands use. It never fails on
// a missing field; it fails on a line that is not a JSON object, on a
// malformed timestamp, address or number in a field it reads, naming it.
func Parse(line []byte) (*Event, error) {
	ev := &Event{}
	var perr error
	set := func(idx int, v []byte, vt jsonparser.ValueType, err error) {
		if perr != nil || err != nil {
			if err != nil && perr == nil {
				perr = err
			}
			return
		}
		if vt == jsonparser.Null {
			return
		}
		if err := ev.set(idx, v, vt); err != nil {
			perr = fmt.Errorf("field %s: %w", joinPath(paths[idx]), err)
		}
	}
	if len(line) == 0 || line[firstNonSpace(line)] != '{' {
		return nil, errors.New("not a JSON object")
	}
	jsonparser.EachKey(line, set, pathList...)
	if perr == nil && !json.Valid(line) {
		// EachKey reads only what it needs; a torn or garbled line must
		// still be rejected rather than half-decoded.
		perr = errors.New("invalid JSON")
	}
	if perr != nil {
		return nil, perr
	}
	if ev.EventType == "" {
		return nil, ErrNoEventType
	}
	return ev, nil
}

func firstNonSpace(b []byte) int {
	for i, c := range b {
		if c != ' ' && c != '\t' {
			return i
		}
	}
	return 0
}

func joinPath(p []string) string {
	s := p[0]
	for _, x := range p[1:] {
		s += "." + x
	}
	return s
}

func str(v []byte, vt jsonparser.ValueType) (string, error) {
	if vt != jsonparser.String {
		return "", fmt.Errorf("want a string, got %s", vt)
	}
	return jsonparser.ParseString(v)
}

func num(v []byte, vt jsonparser.ValueType) (int64, error) {
	if vt != jsonparser.Number {
		return 0, fmt.Errorf("want a number, got %s", vt)
	}
	return strconv.ParseInt(string(v), 10, 64)
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
	s, err := str(v, vt)
	if err != nil {
		return netip.Addr{}, err
	}
	return netip.ParseAddr(s)
}

func (ev *Event) alert() *Alert {
	if ev.Alert == nil {
		ev.Alert = &Alert{}
	}
	return ev.Alert
}

func (ev *Event) flow() *Flow {
	if ev.Flow == nil {
		ev.Flow = &Flow{}
	}
	return ev.Flow
}

func (ev *Event) stats() *Stats {
	if ev.Stats == nil {
		ev.Stats = &Stats{}
	}
	return ev.Stats
}

func (ev *Event) set(idx int, v []byte, vt jsonparser.ValueType) error {
	var err error
	var s string
	var n int64
	switch idx {
	case fTimestamp:
		if s, err = str(v, vt); err == nil {
			ev.Timestamp, err = ParseTime(s)
		}
	case fEventType:
		ev.EventType, err = str(v, vt)
	case fFlowID:
		if vt != jsonparser.Number {
			return fmt.Errorf("want a number, got %s", vt)
		}
		ev.FlowID, err = strconv.ParseUint(string(v), 10, 64)
	case fInIface:
		ev.InIface, err = str(v, vt)
	case fSrcIP:
		ev.SrcIP, err = addr(v, vt)
	case fDestIP:
		ev.DestIP, err = addr(v, vt)
	case fSrcPort:
		ev.SrcPort, err = port(v, vt)
	case fDestPort:
		ev.DestPort, err = port(v, vt)
	case fProto:
		ev.Proto, err = str(v, vt)
	case fAppProto:
		ev.AppProto, err = str(v, vt)
	case fAlertAction:
		ev.alert().Action, err = str(v, vt)
	case fAlertGID:
		ev.alert().GID, err = num(v, vt)
	case fAlertSID:
		ev.alert().SignatureID, err = num(v, vt)
	case fAlertRev:
		ev.alert().Rev, err = num(v, vt)
	case fAlertSig:
		ev.alert().Signature, err = str(v, vt)
	case fAlertCat:
		ev.alert().Category, err = str(v, vt)
	case fAlertSev:
		n, err = num(v, vt)
		ev.alert().Severity = int(n)
	case fFlowPktsTS:
		ev.flow().PktsToServer, err = num(v, vt)
	case fFlowPktsTC:
		ev.flow().PktsToClient, err = num(v, vt)
	case fFlowBytesTS:
		ev.flow().BytesToServer, err = num(v, vt)
	case fFlowBytesTC:
		ev.flow().BytesToClient, err = num(v, vt)
	case fFlowStart:
		if s, err = str(v, vt); err == nil {
			ev.flow().Start, err = ParseTime(s)
		}
	case fFlowEnd:
		if s, err = str(v, vt); err == nil {
			ev.flow().End, err = ParseTime(s)
		}
	case fFlowState:
		ev.flow().State, err = str(v, vt)
	case fFlowReason:
		ev.flow().Reason, err = str(v, vt)
	case fFlowAlerted:
		ev.flow().Alerted, err = jsonparser.ParseBoolean(v)
	case fStatsUptime:
		ev.stats().Uptime, err = num(v, vt)
	case fStatsKPkts:
		ev.stats().KernelPackets, err = num(v, vt)
		ev.stats().HasCapture = true
	case fStatsKDrops:
		ev.stats().KernelDrops, err = num(v, vt)
		ev.stats().HasCapture = true
	case fStatsKIfdrops:
		ev.stats().KernelIfdrops, err = num(v, vt)
	case fStatsDecPkts:
		ev.stats().DecoderPkts, err = num(v, vt)
	case fStatsDecBytes:
		ev.stats().DecoderBytes, err = num(v, vt)
	case fAnomType, fAnomEvent, fAnomLayer:
		if ev.Anomaly == nil {
			ev.Anomaly = &Anomaly{}
		}
		if s, err = str(v, vt); err == nil {
			switch idx {
			case fAnomType:
				ev.Anomaly.Type = s
			case fAnomEvent:
				ev.Anomaly.Event = s
			default:
				ev.Anomaly.Layer = s
			}
		}
	case fDropLen, fDropReason:
		if ev.Drop == nil {
			ev.Drop = &Drop{}
		}
		if idx == fDropLen {
			ev.Drop.Len, err = num(v, vt)
		} else {
			ev.Drop.Reason, err = str(v, vt)
		}
	case fDNSType, fDNSRRName, fDNSRRType, fDNSRCode:
		if ev.DNS == nil {
			ev.DNS = &DNS{}
		}
		if s, err = str(v, vt); err == nil {
			switch idx {
			case fDNSType:
				ev.DNS.Type = s
			case fDNSRRName:
				ev.DNS.RRName = s
			case fDNSRRType:
				ev.DNS.RRType = s
			default:
				ev.DNS.RCode = s
			}
		}
	case fHTTPHost, fHTTPURL, fHTTPUA, fHTTPMethod, fHTTPRefer:
		if ev.HTTP == nil {
			ev.HTTP = &HTTP{}
		}
		if s, err = str(v, vt); err == nil {
			switch idx {
			case fHTTPHost:
				ev.HTTP.Hostname = s
			case fHTTPURL:
				ev.HTTP.URL = s
			case fHTTPUA:
				ev.HTTP.UserAgent = s
			case fHTTPMethod:
				ev.HTTP.Method = s
			default:
				ev.HTTP.Refer = s
			}
		}
	case fHTTPStatus:
		if ev.HTTP == nil {
			ev.HTTP = &HTTP{}
		}
		// Some exporters write the status as a string; it is not worth
		// rejecting the record over.
		if vt == jsonparser.String {
			n, _ = strconv.ParseInt(string(v), 10, 64)
		} else {
			n, err = num(v, vt)
		}
		ev.HTTP.Status = int(n)
	case fTLSSNI, fTLSVersion, fTLSSubject, fTLSIssuer:
		if ev.TLS == nil {
			ev.TLS = &TLS{}
		}
		if s, err = str(v, vt); err == nil {
			switch idx {
			case fTLSSNI:
				ev.TLS.SNI = s
			case fTLSVersion:
				ev.TLS.Version = s
			case fTLSSubject:
				ev.TLS.Subject = s
			default:
				ev.TLS.Issuer = s
			}
		}
	}
	return err
}
