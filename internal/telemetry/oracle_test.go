package telemetry

import (
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/buger/jsonparser"

	"github.com/suricron/suricron/internal/eve"
)

// oracleEncoder is the encoder as it was before the one-pass scanner
// (issue 17): json.Valid over the line, an EachKey walk for the server
// side, then ObjectEach walks of every kept object. It stays here as the
// reference the differential tests hold the new Encoder to, byte for byte
// and in every rejection. Only the walk is kept; the masking rules
// (mask.go, appendAddr, appendIPList, appendRefer) are the same code.
type oracleEncoder struct {
	enc Encoder
}

type oracleState struct {
	serverLocal bool
	scratch     []byte
}

func (o *oracleEncoder) Append(dst, line []byte) ([]byte, error) {
	if !json.Valid(line) {
		return dst, ErrInvalid
	}
	if t := firstByte(line); t != '{' {
		return dst, ErrInvalid
	}
	st := oracleState{serverLocal: o.serverLocal(line)}
	start := len(dst)
	dst, wrote, err := o.appendObject(dst, line, schema, &st)
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

func (o *oracleEncoder) serverLocal(line []byte) bool {
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
	_, local := localAddr(o.enc.Local, a)
	return local
}

func (o *oracleEncoder) appendObject(dst, obj []byte, fields []field, st *oracleState) ([]byte, bool, error) {
	start := len(dst)
	dst = append(dst, '{')
	var seen uint64
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
		dst, ok, err = o.appendValue(dst, val, vt, fields[i], st)
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

func (o *oracleEncoder) appendValue(dst, val []byte, vt jsonparser.ValueType, f field, st *oracleState) ([]byte, bool, error) {
	e := &o.enc
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
		return o.appendObject(dst, val, f.sub, st)
	}
	if vt != jsonparser.String {
		return dst, false, nil
	}
	s, err := o.unescape(val, st)
	if err != nil {
		return dst, false, nil
	}
	switch f.kind {
	case kIP:
		a, ok := parseAddrText(s)
		if !ok {
			return dst, false, nil
		}
		return e.appendAddr(dst, a), true, nil
	case kIPList:
		dst, ok := e.appendIPList(dst, s)
		return dst, ok, nil
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
		dst, ok := oracleAppendRefer(e, dst, s, st.serverLocal)
		return dst, ok, nil
	default:
		return eve.AppendString(dst, scrubText(s, e.Local)), true, nil
	}
}

func (o *oracleEncoder) unescape(val []byte, st *oracleState) (string, error) {
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

// oracleAppendRefer is appendRefer as it was, on url.Parse alone; it keeps only scheme://host[:port] of a referer: its path and
// query carry session tokens and internal paths. A local address host is
// masked; a name is kept only when the server is external, as for hostname.
func oracleAppendRefer(e *Encoder, dst []byte, s string, serverLocal bool) ([]byte, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Scheme == "" {
		return dst, false
	}
	// Only the split changed (referParts; FuzzReferParts holds it to
	// url.Parse): what follows it is the encoder's own.
	return e.appendReferParts(dst, u.Scheme, u.Hostname(), u.Port(), serverLocal)
}
