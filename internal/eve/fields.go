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

// FlowSummary is the part of a flow record a traffic summary reads (the
// weekly report's ports and hosts): addresses, ports, protocol, app_proto
// and the packet and byte counters. ParseFlowSummary extracts exactly
// these, skipping flow.start/end, state, reason and everything else that
// Parse would decode.
type FlowSummary struct {
	Timestamp     time.Time
	SrcIP, DestIP netip.Addr
	SrcPort       uint16
	DestPort      uint16
	Proto         string
	AppProto      string
	// HasFlow is whether the record has a "flow" object.
	HasFlow       bool
	PktsToServer  int64
	PktsToClient  int64
	BytesToServer int64
	BytesToClient int64
}

// flowPaths are the keys ParseFlowSummary reads, in the order Suricata
// writes them; EachKey stops once it has found them all.
var flowPaths = [][]string{
	{"timestamp"},
	{"src_ip"},
	{"src_port"},
	{"dest_ip"},
	{"dest_port"},
	{"proto"},
	{"app_proto"},
	{"flow", "pkts_toserver"},
	{"flow", "pkts_toclient"},
	{"flow", "bytes_toserver"},
	{"flow", "bytes_toclient"},
}

// ParseFlowSummary fills s from line in one pass over it (jsonparser.EachKey
// with exactly flowPaths). It accepts what Parse accepts and reads the same
// values for these fields (FuzzFlowSummary checks both), except that it is
// stricter about framing: a line with bytes after its object's closing
// brace (which Parse ignores) is not one complete object. It fails on a
// malformed value in a field it reads, naming the field, like Parse. Fields it does not read are not
// checked, so it may accept a record whose other fields Parse rejects.
func ParseFlowSummary(line []byte, s *FlowSummary) error {
	*s = FlowSummary{}
	line = bytes.TrimSpace(line)
	if !Complete(line) {
		return errors.New("not a complete JSON object")
	}
	var perr error
	jsonparser.EachKey(line, func(idx int, v []byte, vt jsonparser.ValueType, err error) {
		if perr != nil {
			return
		}
		if err != nil {
			perr = err
			return
		}
		if vt == jsonparser.Null {
			return // Parse skips nulls too
		}
		if idx >= 7 {
			s.HasFlow = true
		}
		switch idx {
		case 0:
			var ts string
			if ts, err = str(v, vt); err == nil {
				s.Timestamp, err = ParseTime(ts)
			}
		case 1:
			s.SrcIP, err = addr(v, vt)
		case 2:
			s.SrcPort, err = port(v, vt)
		case 3:
			s.DestIP, err = addr(v, vt)
		case 4:
			s.DestPort, err = port(v, vt)
		case 5:
			s.Proto, err = fieldProto(v, vt)
		case 6:
			s.AppProto, err = fieldProto(v, vt)
		case 7:
			s.PktsToServer, err = num(v, vt)
		case 8:
			s.PktsToClient, err = num(v, vt)
		case 9:
			s.BytesToServer, err = num(v, vt)
		case 10:
			s.BytesToClient, err = num(v, vt)
		}
		if err != nil {
			perr = fmt.Errorf("field %s: %w", pathName(flowPaths[idx]), err)
		}
	}, flowPaths...)
	if perr != nil {
		return perr
	}
	if !s.HasFlow {
		// A flow object without any counter is still a flow object (rare:
		// only damaged or hand-made records get here).
		if _, vt, _, err := jsonparser.Get(line, "flow"); err == nil {
			if vt != jsonparser.Object && vt != jsonparser.Null {
				return fmt.Errorf("field flow: want an object, got %s", vt)
			}
			s.HasFlow = vt == jsonparser.Object
		}
	}
	return nil
}

// StatsSummary is the part of a stats record capture health reads: uptime
// and the capture and decoder packet counters. Has* say which counters
// were present (a missing counter is not a zero).
type StatsSummary struct {
	Timestamp     time.Time
	HasTimestamp  bool
	Uptime        int64
	HasUptime     bool
	KernelPackets int64
	HasPackets    bool
	KernelDrops   int64
	HasDrops      bool
	KernelIfdrops int64
	DecoderPkts   int64
	HasDecoder    bool
}

// errEnough ends a walk once every wanted key was seen.
var errEnough = errors.New("enough")

// ParseStatsSummary reads a stats record's timestamp, stats.uptime,
// stats.capture.{kernel_packets,kernel_drops,kernel_ifdrops} and
// stats.decoder.pkts. Stats records are most of eve.json's bytes (5–100 KB
// each, with hundreds of counters): this walks only the keys of the
// "stats" object up to "decoder" (Suricata writes uptime, capture and
// decoder first), looking inside just those three, and skips the rest
// (flow, tcp, app_layer, …) without tokenising it. A counter that is not a
// non-negative integer is an error naming it; null or another type counts
// as missing.
func ParseStatsSummary(line []byte, s *StatsSummary) error {
	*s = StatsSummary{}
	line = bytes.TrimSpace(line)
	if !Complete(line) {
		return errors.New("stats record is not one complete object")
	}
	err := jsonparser.ObjectEach(line, func(key, v []byte, vt jsonparser.ValueType, _ int) error {
		switch string(key) {
		case "timestamp":
			if vt == jsonparser.Null {
				return nil
			}
			ts, err := str(v, vt)
			if err == nil {
				s.Timestamp, err = ParseTime(ts)
			}
			if err != nil {
				return fmt.Errorf("timestamp: %w", err)
			}
			s.HasTimestamp = true
		case "stats":
			if vt != jsonparser.Object {
				return nil
			}
			return s.statsObject(v)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return err
	}
	return nil
}

func (s *StatsSummary) statsObject(v []byte) error {
	var seen [3]bool
	err := jsonparser.ObjectEach(v, func(key, v []byte, vt jsonparser.ValueType, _ int) error {
		var err error
		switch string(key) {
		case "uptime":
			seen[0] = true
			s.Uptime, s.HasUptime, err = counter("stats.uptime", v, vt)
		case "capture":
			seen[1] = true
			if vt == jsonparser.Object {
				err = jsonparser.ObjectEach(v, func(k, v []byte, vt jsonparser.ValueType, _ int) error {
					var err error
					switch string(k) {
					case "kernel_packets":
						s.KernelPackets, s.HasPackets, err = counter("stats.capture.kernel_packets", v, vt)
					case "kernel_drops":
						s.KernelDrops, s.HasDrops, err = counter("stats.capture.kernel_drops", v, vt)
					case "kernel_ifdrops":
						s.KernelIfdrops, _, err = counter("stats.capture.kernel_ifdrops", v, vt)
					}
					return err
				})
			}
		case "decoder":
			seen[2] = true
			if vt == jsonparser.Object {
				pv, pt, _, gerr := jsonparser.Get(v, "pkts")
				if gerr == nil {
					s.DecoderPkts, s.HasDecoder, err = counter("stats.decoder.pkts", pv, pt)
				}
			}
		}
		if err == nil && seen == [3]bool{true, true, true} {
			return errEnough
		}
		return err
	})
	return err
}

// counter reads a stats counter: ok false for null or a non-number (treated
// as missing), an error for a number that is not a non-negative integer.
func counter(name string, v []byte, vt jsonparser.ValueType) (int64, bool, error) {
	if vt != jsonparser.Number {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || n < 0 {
		return 0, false, fmt.Errorf("%s: bad counter %q", name, v)
	}
	return n, true, nil
}

// Complete reports whether line (trimmed) is one whole object as far as its
// brackets tell: it starts with '{', ends with '}' and its braces and
// brackets pair up outside strings. Torn writes (which never end in '}')
// and two writers interleaved on one line (a prefix opens more than it
// closes) fail. The common case costs four vectorised byte counts; only a
// line whose raw counts disagree (a string holding a bracket) is walked
// byte by byte.
func Complete(line []byte) bool {
	if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' {
		return false
	}
	if bytes.Count(line, []byte{'{'}) == bytes.Count(line, []byte{'}'}) &&
		bytes.Count(line, []byte{'['}) == bytes.Count(line, []byte{']'}) &&
		bytes.IndexByte(line, '\\') < 0 && bytes.Count(line, []byte{'"'})%2 == 0 {
		return true
	}
	depth, inStr, esc := 0, false, false
	for i, c := range line {
		switch {
		case esc:
			esc = false
		case inStr:
			switch c {
			case '\\':
				esc = true
			case '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 && i != len(line)-1 {
				return false
			}
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0 && !inStr
}

func pathName(p []string) string {
	if len(p) == 1 {
		return p[0]
	}
	return p[0] + "." + p[1]
}

// fieldProto is str without an allocation for the protocol names
// that make up nearly every flow.
func fieldProto(v []byte, vt jsonparser.ValueType) (string, error) {
	if vt == jsonparser.String {
		switch string(v) {
		case "TCP":
			return "TCP", nil
		case "UDP":
			return "UDP", nil
		case "ICMP":
			return "ICMP", nil
		case "IPv6-ICMP":
			return "IPv6-ICMP", nil
		case "dns":
			return "dns", nil
		case "tls":
			return "tls", nil
		case "http":
			return "http", nil
		case "failed":
			return "failed", nil
		}
	}
	return str(v, vt)
}
