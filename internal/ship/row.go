package ship

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/buger/jsonparser"

	"github.com/suricron/suricron/internal/eve"
)

// EID is the deterministic event id of the record that ends at offset end
// in the file whose identity is fileID (checkpoint's hash of its first
// line), seen by sensor. Offsets are uncompressed, so the same record has
// the same id in eve.json, eve.json.1 and eve.json.1.gz.
func EID(sensor, fileID string, end int64) uint64 {
	h := sha256.New()
	h.Write([]byte(sensor))
	h.Write([]byte{0})
	h.Write([]byte(fileID))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(end))
	h.Write(b[:])
	return binary.BigEndian.Uint64(h.Sum(nil)[:8])
}

// TableFor maps an event_type to its table.
func TableFor(eventType string) string {
	switch eventType {
	case "alert":
		return TableAlerts
	case "stats":
		return TableStats
	}
	return TableEvents
}

// record is one eve record decoded leniently: every field has a value of
// its column's type, whatever the line held.
type record struct {
	ts      time.Time
	tsRaw   string // the timestamp as written, when it did not parse
	str     map[string]string
	num     map[string]uint64
	cleaned int // values replaced (null, wrong type, out of range)
}

var errNotObject = errors.New("not a complete JSON object")

// numMax is each numeric column's largest value; larger, negative or
// fractional values are cleaned to 0 rather than wrapped (ClickHouse
// silently stores 70000 in a UInt16 as 4464).
var numMax = map[string]uint64{}

func init() {
	for _, cols := range append([][]column{commonColumns}, kindColumns[TableAlerts], kindColumns[TableStats], kindColumns[TableEvents]) {
		for _, c := range cols {
			switch c.typ {
			case "UInt8":
				numMax[c.name] = math.MaxUint8
			case "UInt16":
				numMax[c.name] = math.MaxUint16
			case "UInt32":
				numMax[c.name] = math.MaxUint32
			case "UInt64":
				numMax[c.name] = math.MaxUint64
			}
		}
	}
}

// topFields and the sub-object maps say which JSON key fills which column.
var topFields = map[string]string{
	"event_type": "event_type", "host": "host", "in_iface": "in_iface", "flow_id": "flow_id",
	"src_ip": "src_ip", "src_port": "src_port", "dest_ip": "dest_ip", "dest_port": "dest_port",
	"proto": "proto", "app_proto": "app_proto", "community_id": "community_id",
}

var subFields = map[string]map[string]string{
	"alert": {"action": "action", "gid": "gid", "signature_id": "signature_id", "rev": "rev",
		"signature": "signature", "category": "category", "severity": "severity"},
	"flow": {"pkts_toserver": "pkts_toserver", "pkts_toclient": "pkts_toclient",
		"bytes_toserver": "bytes_toserver", "bytes_toclient": "bytes_toclient"},
	"anomaly": {"type": "anomaly_type", "event": "anomaly_event"},
}

// decode reads line into a record. It fails only on a line that is not a
// JSON object; anything inside is cleaned.
func decode(line []byte) (*record, error) {
	line = bytes.TrimSpace(line)
	if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' {
		return nil, errNotObject
	}
	r := &record{str: map[string]string{}, num: map[string]uint64{}}
	err := jsonparser.ObjectEach(line, func(key, v []byte, vt jsonparser.ValueType, _ int) error {
		k := string(key)
		switch k {
		case "timestamp":
			s := r.text(v, vt)
			t, err := eve.ParseTime(s)
			if err != nil {
				// Passed on as written: ClickHouse's best-effort parser
				// reads more layouts; if it cannot either, the row is
				// refused and quarantined, not lost.
				r.tsRaw = s
				return nil
			}
			r.ts = t
		case "stats":
			r.stats(v, vt)
		default:
			if col, ok := topFields[k]; ok {
				r.set(col, v, vt)
			} else if m, ok := subFields[k]; ok {
				if vt != jsonparser.Object {
					if vt != jsonparser.Null {
						r.cleaned++
					}
					return nil
				}
				_ = jsonparser.ObjectEach(v, func(key, v []byte, vt jsonparser.ValueType, _ int) error {
					if col, ok := m[string(key)]; ok {
						r.set(col, v, vt)
					}
					return nil
				})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if r.ts.IsZero() && r.tsRaw == "" {
		return nil, errors.New("no timestamp")
	}
	return r, nil
}

func (r *record) stats(v []byte, vt jsonparser.ValueType) {
	if vt != jsonparser.Object {
		r.cleaned++
		return
	}
	if u, t, _, err := jsonparser.Get(v, "uptime"); err == nil {
		r.set("uptime", u, t)
	}
	for _, col := range []string{"kernel_packets", "kernel_drops", "kernel_ifdrops"} {
		if x, t, _, err := jsonparser.Get(v, "capture", col); err == nil {
			r.set(col, x, t)
			r.num["has_capture"] = 1
		}
	}
	if x, t, _, err := jsonparser.Get(v, "decoder", "pkts"); err == nil {
		r.set("decoder_pkts", x, t)
	}
	if x, t, _, err := jsonparser.Get(v, "decoder", "bytes"); err == nil {
		r.set("decoder_bytes", x, t)
	}
}

// set stores v into col, cleaning it to the column's type.
func (r *record) set(col string, v []byte, vt jsonparser.ValueType) {
	if max, ok := numMax[col]; ok {
		n, ok := toUint(v, vt, max)
		if !ok {
			r.cleaned++
		}
		r.num[col] = n
		return
	}
	r.str[col] = r.text(v, vt)
}

// text renders any JSON value as a string column: strings unescaped,
// numbers and booleans as written, objects and arrays as JSON, null empty.
func (r *record) text(v []byte, vt jsonparser.ValueType) string {
	switch vt {
	case jsonparser.String:
		s, err := jsonparser.ParseString(v)
		if err != nil {
			r.cleaned++
			return string(v)
		}
		return s
	case jsonparser.Null:
		r.cleaned++
		return ""
	}
	return string(v)
}

// toUint cleans a number: integers in range as they are, numeric strings
// parsed, anything else 0 (ok false).
func toUint(v []byte, vt jsonparser.ValueType, max uint64) (uint64, bool) {
	switch vt {
	case jsonparser.Number, jsonparser.String:
		s := string(v)
		if vt == jsonparser.String {
			var err error
			if s, err = jsonparser.ParseString(v); err != nil {
				return 0, false
			}
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(s, 64)
			if ferr != nil || f < 0 || f != math.Trunc(f) || f > float64(max) {
				return 0, false
			}
			n = uint64(f)
		}
		if n > max {
			return 0, false
		}
		return n, true
	case jsonparser.Boolean:
		if string(v) == "true" {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// Row is one JSONEachRow line bound for a table.
type Row struct {
	Table string
	EID   uint64
	JSON  []byte
	Src   string // path:offset, for the quarantine file and warnings
	// refused: ClickHouse refused it and it went to quarantine.
	refused bool
}

// rowMeta is what a row carries besides the record.
type rowMeta struct {
	sensor, fileID, batchID string
	end                     int64
}

// BuildRow decodes one eve line into its row. raw is stored in the events
// table only.
func BuildRow(line []byte, m rowMeta) (Row, int, error) {
	rec, err := decode(line)
	if err != nil {
		return Row{}, 0, err
	}
	et := rec.str["event_type"]
	table := TableFor(et)
	eid := EID(m.sensor, m.fileID, m.end)
	// Sized once: the events table holds the whole line, escaped, and
	// growing the buffer step by step was most of the cost.
	n := 640
	if table == TableEvents {
		n += len(line) + len(line)/8
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
	}
	for _, c := range columns(table) {
		key(c.name)
		switch c.name {
		case "date":
			if rec.tsRaw != "" {
				b = eve.AppendString(b, rec.tsRaw)
			} else {
				b = append(b, '"')
				b = rec.ts.UTC().AppendFormat(b, "2006-01-02")
				b = append(b, '"')
			}
		case "ts":
			if rec.tsRaw != "" {
				b = eve.AppendString(b, rec.tsRaw)
			} else {
				b = append(b, '"')
				b = rec.ts.UTC().AppendFormat(b, "2006-01-02 15:04:05")
				b = append(b, '"')
			}
		case "usec":
			b = strconv.AppendInt(b, int64(rec.ts.Nanosecond()/1000), 10)
		case "sensor":
			b = eve.AppendString(b, m.sensor)
		case "eid":
			b = strconv.AppendUint(b, eid, 10)
		case "batch_id":
			b = eve.AppendString(b, m.batchID)
		case "raw":
			b = eve.AppendString(b, string(bytes.TrimSpace(line)))
		default:
			if _, ok := numMax[c.name]; ok {
				b = strconv.AppendUint(b, rec.num[c.name], 10)
			} else {
				b = eve.AppendString(b, rec.str[c.name])
			}
		}
	}
	b = append(b, '}')
	return Row{Table: table, EID: eid, JSON: b}, rec.cleaned, nil
}
