package gen

import (
	"strconv"
	"time"

	"github.com/suricron/suricron/internal/eve"
)

// The generator writes JSON by appending to a byte slice instead of using
// encoding/json: key order must follow Suricata's (encoding/json sorts maps
// and reflects on structs), and the generator has to outrun every reader
// it is used to benchmark.

const hexDigits = "0123456789abcdef"

// appendKey appends `,"key":` (or `"key":` right after an opening brace).
func appendKey(b []byte, key string) []byte {
	if n := len(b); n > 0 && b[n-1] != '{' && b[n-1] != '[' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

func appendStr(b []byte, key, v string) []byte {
	return eve.AppendString(appendKey(b, key), v)
}

func appendInt(b []byte, key string, v int64) []byte {
	return strconv.AppendInt(appendKey(b, key), v, 10)
}

func appendUint(b []byte, key string, v uint64) []byte {
	return strconv.AppendUint(appendKey(b, key), v, 10)
}

func appendBool(b []byte, key string, v bool) []byte {
	return strconv.AppendBool(appendKey(b, key), v)
}

// clock formats microsecond timestamps as Suricata does
// (2006-01-02T15:04:05.000000-0700) in one fixed zone. The date-and-seconds
// prefix is cached because consecutive events mostly share it, which makes
// timestamps cheap enough not to dominate generation time.
type clock struct {
	loc     *time.Location
	lastSec int64
	prefix  []byte // "2006-01-02T15:04:05."
	zone    []byte // "+0000"
}

func newClock(loc *time.Location) *clock {
	return &clock{loc: loc, lastSec: -1 << 62}
}

func (c *clock) append(b []byte, usec int64) []byte {
	sec, frac := usec/1e6, usec%1e6
	if frac < 0 {
		sec, frac = sec-1, frac+1e6
	}
	if sec != c.lastSec {
		t := time.Unix(sec, 0).In(c.loc)
		c.prefix = t.AppendFormat(c.prefix[:0], "2006-01-02T15:04:05.")
		c.zone = t.AppendFormat(c.zone[:0], "-0700")
		c.lastSec = sec
	}
	b = append(b, c.prefix...)
	var d [6]byte
	for i := 5; i >= 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	b = append(b, d[:]...)
	return append(b, c.zone...)
}

func (c *clock) appendTS(b []byte, key string, usec int64) []byte {
	b = append(appendKey(b, key), '"')
	return append(c.append(b, usec), '"')
}
