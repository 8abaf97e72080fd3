// Package sidmsg writes sid-msg.map files, which barnyard2, Snorby,
// Scirius and other consoles read to name alerts: version 1
// "sid || msg || reference…" and version 2
// "gid || sid || rev || classtype || priority || msg || reference…",
// byte for byte as suricata-update writes them (one line per rule,
// enabled or not, in the merged file's order).
package sidmsg

import (
	"io"
	"strconv"

	"github.com/suricron/suricron/internal/rules/rule"
)

// AppendLine appends r's line (with its newline) in the given format
// version (1 or 2).
func AppendLine(dst []byte, r *rule.Rule, version int) []byte {
	var refs []string
	classtype, priority := "NOCLASS", "0"
	r.EachOption(func(name, val string) {
		switch name {
		case "reference":
			refs = append(refs, val)
		case "classtype":
			// The last one wins, as in suricata-update's parser.
			classtype = val
		case "priority":
			priority = val
		}
	})
	sep := " || "
	if version == 2 {
		dst = strconv.AppendInt(dst, int64(r.GID), 10)
		dst = append(dst, sep...)
		dst = strconv.AppendInt(dst, int64(r.SID), 10)
		dst = append(dst, sep...)
		dst = strconv.AppendInt(dst, int64(r.Rev), 10)
		dst = append(dst, sep...)
		dst = append(dst, classtype...)
		dst = append(dst, sep...)
		dst = append(dst, priority...)
	} else {
		dst = strconv.AppendInt(dst, int64(r.SID), 10)
	}
	dst = append(dst, sep...)
	dst = append(dst, r.Msg...)
	for _, ref := range refs {
		dst = append(dst, sep...)
		dst = append(dst, ref...)
	}
	return append(dst, '\n')
}

// Write writes the map of rules in format version 1 or 2.
func Write(w io.Writer, rules []*rule.Rule, version int) error {
	buf := make([]byte, 0, 256<<10)
	for _, r := range rules {
		buf = AppendLine(buf, r, version)
		if len(buf) >= 192<<10 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	_, err := w.Write(buf)
	return err
}
