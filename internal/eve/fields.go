package eve

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
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
// writes them (indexes are the fields' numbers in setFlowField and the
// bits of the walk's found mask).
var flowPaths = [...][]string{
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

// FlowFields selects what ParseFlowSummaryOf reads: bit i is flowPaths[i].
type FlowFields uint16

// The fields of a FlowSummary, in flowPaths' order.
const (
	FlowTimestamp FlowFields = 1 << iota
	FlowSrcIP
	FlowSrcPort
	FlowDestIP
	FlowDestPort
	FlowProto
	FlowAppProto
	FlowPktsToServer
	FlowPktsToClient
	FlowBytesToServer
	FlowBytesToClient
	// AllFlowFields is every field, what ParseFlowSummary reads.
	AllFlowFields FlowFields = 1<<len(flowPaths) - 1
)

// ParseFlowSummary fills s from line in one pass over it. It accepts what
// Parse accepts and reads the same values for these fields
// (FuzzFlowSummary checks both), except that it is stricter about
// framing: a line with bytes after its object's closing brace (which Parse
// ignores) is not one complete object. It fails on a malformed value in a
// field it reads, naming the field, like Parse. Fields it does not read are
// not checked, so it may accept a record whose other fields Parse rejects.
//
// The walk is jsonparser.EachKey(line, cb, flowPaths...) specialised to
// these paths: the same scan, key matching, first-occurrence rule and
// early stop, and the same outcome on malformed input (where EachKey gives
// up silently, so does this), without EachKey's per-call path buffers,
// per-key loop over all paths, closure and map per array.
// FuzzFlowSummaryEachKey holds it to the EachKey version.
func ParseFlowSummary(line []byte, s *FlowSummary) error {
	return ParseFlowSummaryOf(line, AllFlowFields, s)
}

// ParseFlowSummaryOf is ParseFlowSummary reading only the fields in want
// (the others stay zero): the walk ends as soon as those are found, so a
// flow without app_proto (a third of real ones) is not walked to its end
// when app_proto is not wanted. A field not read is not checked either.
// HasFlow is set as by ParseFlowSummary.
func ParseFlowSummaryOf(line []byte, want FlowFields, s *FlowSummary) error {
	*s = FlowSummary{}
	line = bytes.TrimSpace(line)
	if !Complete(line) {
		return errors.New("not a complete JSON object")
	}
	if err := walkFlow(line, s, want); err != nil {
		return err
	}
	return flowObject(line, s)
}

// flowObject sets HasFlow for a record whose walk read no flow counter: a
// flow object without any is still a flow object (rare: only damaged or
// hand-made records get here).
func flowObject(line []byte, s *FlowSummary) error {
	if s.HasFlow {
		return nil
	}
	if _, vt, _, err := jsonparser.Get(line, "flow"); err == nil {
		if vt != jsonparser.Object && vt != jsonparser.Null {
			return fmt.Errorf("field flow: want an object, got %s", vt)
		}
		s.HasFlow = vt == jsonparser.Object
	}
	return nil
}

// structural marks the bytes EachKey's scan acts on outside strings; all
// others (digits, letters, whitespace, ':' and ',') pass untouched.
var structural = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true}

// walkFlow is the EachKey scan over line for flowPaths. It returns the
// first error EachKey's callback would have recorded (ParseFlowSummary's
// old callback kept only the first and ignored the rest, so stopping
// there changes nothing), or nil when the scan ends: at the last wanted
// key, at the end of line, or where EachKey gives up (an unterminated
// string or array, a key with a bad escape).
func walkFlow(line []byte, s *FlowSummary, want FlowFields) error {
	var found FlowFields
	level := 0
	// inFlow: the last key at level 1 was "flow", so keys at level 2 are
	// flow.* (EachKey compares against its path buffer the same way).
	inFlow := false
	n := len(line)
	for i := 0; i < n; i++ {
		for i < n && !structural[line[i]] {
			i++
		}
		if i == n {
			break
		}
		switch line[i] {
		case '"':
			end, esc := stringEnd(line, i+1)
			if end < 0 {
				return nil
			}
			j := end + 1
			for j < n && isSpace(line[j]) {
				j++
			}
			if j == n {
				return nil
			}
			if line[j] != ':' {
				// A value, not a key: go on at the token after it.
				i = j - 1
				continue
			}
			key := line[i+1 : end]
			var buf [64]byte
			if esc {
				k, err := jsonparser.Unescape(key, buf[:])
				if err != nil {
					return nil
				}
				key = k
			}
			i = j // the value is scanned from after the colon
			if level > 2 {
				continue
			}
			if level < 1 {
				return jsonparser.MalformedJsonError
			}
			idx := -1
			if level == 1 {
				inFlow = string(key) == "flow"
				idx = topFlowField(key)
			} else if inFlow {
				idx = flowCounterField(key)
			}
			if idx < 0 || want&(1<<idx) == 0 || found&(1<<idx) != 0 {
				continue
			}
			found |= 1 << idx
			if err := setFlowField(s, idx, line[j+1:]); err != nil {
				return err
			}
			if found == want {
				return nil
			}
		case '{':
			level++
		case '}', ']':
			level--
		case '[':
			if level < 0 {
				return jsonparser.MalformedJsonError
			}
			end := arrayEnd(line, i)
			if end < 0 {
				return nil
			}
			i = end - 1 // EachKey does not look inside arrays
		}
	}
	return nil
}

// stringEnd returns the index of the quote closing the string whose body
// starts at line[i] (-1 if none) and whether the body has a backslash.
func stringEnd(line []byte, i int) (int, bool) {
	esc := false
	for ; i < len(line); i++ {
		switch line[i] {
		case '"':
			return i, esc
		case '\\':
			esc = true
			i++ // the escaped byte cannot close the string
		}
	}
	return -1, esc
}

// arrayEnd returns the index just past the ']' matching the '[' at
// line[i], counting only brackets outside strings (as jsonparser does when
// it skips an array), or -1 if there is none.
func arrayEnd(line []byte, i int) int {
	depth := 0
	for ; i < len(line); i++ {
		switch line[i] {
		case '"':
			end, _ := stringEnd(line, i+1)
			if end < 0 {
				return -1
			}
			i = end
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

func topFlowField(key []byte) int {
	switch string(key) {
	case "timestamp":
		return 0
	case "src_ip":
		return 1
	case "src_port":
		return 2
	case "dest_ip":
		return 3
	case "dest_port":
		return 4
	case "proto":
		return 5
	case "app_proto":
		return 6
	}
	return -1
}

func flowCounterField(key []byte) int {
	switch string(key) {
	case "pkts_toserver":
		return 7
	case "pkts_toclient":
		return 8
	case "bytes_toserver":
		return 9
	case "bytes_toclient":
		return 10
	}
	return -1
}

// setFlowField reads the value after a key's colon (rest) into field idx
// of s, as the old EachKey callback did with jsonparser.Get(rest): Get's
// own errors unwrapped, conversion errors naming the field, nulls skipped.
func setFlowField(s *FlowSummary, idx int, rest []byte) error {
	v, vt, err := valueAt(rest)
	if err != nil {
		return err
	}
	return setFlowValue(s, idx, v, vt)
}

// setFlowValue converts one found value (as EachKey hands it over) into
// field idx of s.
func setFlowValue(s *FlowSummary, idx int, v []byte, vt jsonparser.ValueType) error {
	if vt == jsonparser.Null {
		return nil // Parse skips nulls too
	}
	var err error
	if idx >= 7 {
		s.HasFlow = true
	}
	switch idx {
	case 0:
		s.Timestamp, err = flowTime(v, vt)
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
		return fmt.Errorf("field %s: %w", pathName(flowPaths[idx]), err)
	}
	return nil
}

// valueAt is jsonparser.Get(rest) for the value a key's colon precedes,
// done here for strings and scalars (every value the summary reads);
// objects, arrays and the impossible empty rest go to Get itself.
func valueAt(rest []byte) ([]byte, jsonparser.ValueType, error) {
	k := 0
	for k < len(rest) && isSpace(rest[k]) {
		k++
	}
	if k == len(rest) || rest[k] == '{' || rest[k] == '[' {
		v, vt, _, err := jsonparser.Get(rest)
		return v, vt, err
	}
	if rest[k] == '"' {
		end, _ := stringEnd(rest, k+1)
		if end < 0 {
			return nil, jsonparser.String, jsonparser.MalformedStringError
		}
		return rest[k+1 : end], jsonparser.String, nil
	}
	e := k
	for e < len(rest) && !scalarEnd[rest[e]] {
		e++
	}
	v := rest[k:e]
	switch rest[k] {
	case 't', 'f':
		if string(v) == "true" || string(v) == "false" {
			return v, jsonparser.Boolean, nil
		}
	case 'u', 'n':
		if string(v) == "null" {
			return v, jsonparser.Null, nil
		}
	case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '-':
		return v, jsonparser.Number, nil
	}
	return nil, jsonparser.Unknown, jsonparser.UnknownValueTypeError
}

// scalarEnd marks the bytes that end a number, boolean or null for
// jsonparser (whitespace, ',', '}' and ']').
var scalarEnd = [256]bool{' ': true, '\n': true, '\r': true, '\t': true, ',': true, '}': true, ']': true}

// flowTime is str then ParseTime, without str's copy of the timestamp
// when it is in Suricata's own layout (parseTimeFast keeps no reference
// to it, so the conversion stays on the stack).
func flowTime(v []byte, vt jsonparser.ValueType) (time.Time, error) {
	if vt == jsonparser.String && bytes.IndexByte(v, '\\') < 0 {
		if t, ok := parseTimeFast(string(v)); ok {
			return t, nil
		}
	}
	ts, err := str(v, vt)
	if err != nil {
		return time.Time{}, err
	}
	return ParseTime(ts)
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
	if statsFast(line, s) {
		return nil
	}
	*s = StatsSummary{}
	return statsObjectEach(line, s)
}

// statsObjectEach is ParseStatsSummary's general path, for a record the
// fast path does not take: jsonparser's ObjectEach over the top level and
// the stats object, whose errors are the ones ParseStatsSummary returns.
func statsObjectEach(line []byte, s *StatsSummary) error {
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
	n, err := parseInt(v)
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
	return wholeObject(line)
}

// wholeObject is Complete without the counting shortcut (which passes two
// objects on a line whose brackets still add up, `{…}x{}`): the exact
// byte walk, for a line that starts with '{' and ends with '}'.
func wholeObject(line []byte) bool {
	if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' {
		return false
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
		if s, ok := knownName(v); ok {
			return s, nil
		}
	}
	return str(v, vt)
}

// ProtoText is string(p) without an allocation for the protocol and
// app_proto names that make up nearly every record (a decoder's []byte
// field turned into a string that outlives the line).
func ProtoText(p []byte) string {
	if s, ok := knownName(p); ok {
		return s
	}
	return string(p)
}

// knownName returns the constant string equal to v for the common
// protocol names.
func knownName(v []byte) (string, bool) {
	switch string(v) {
	case "TCP":
		return "TCP", true
	case "UDP":
		return "UDP", true
	case "ICMP":
		return "ICMP", true
	case "IPv6-ICMP":
		return "IPv6-ICMP", true
	case "dns":
		return "dns", true
	case "tls":
		return "tls", true
	case "http":
		return "http", true
	case "failed":
		return "failed", true
	}
	return "", false
}
