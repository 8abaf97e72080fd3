package digest

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/suricron/suricron/internal/printable"
)

// timeLayout shows alert times in the sensor's own offset, as eve.json has
// them, so they match what an analyst greps for.
const timeLayout = "2006-01-02 15:04:05 -0700"

func sevLabel(s int) string {
	switch s {
	case 1:
		return "1 high"
	case 2:
		return "2 medium"
	case 3:
		return "3 low"
	case 0:
		return "-"
	}
	return strconv.Itoa(s)
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return "(none)"
	}
	return a.String()
}

// subject is the contract of DESIGN §3: plain numbers, so that mail
// filters and scripts can match it.
func (d *Document) subject() string {
	return fmt.Sprintf("[suricron] %s: %d alerts, %d signatures (%d high)",
		printable.String(d.Host), d.Alerts, d.Signatures, d.High)
}

// thousands formats a count with thousands separators (5,120).
func thousands(n int64) string { return message.NewPrinter(language.English).Sprint(n) }

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}

func pick(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

// sevCounts is "high 2, medium 5, low 9" without the zero classes.
func (d *Document) sevCounts() string {
	var parts []string
	for _, x := range []struct {
		n    int64
		name string
	}{{d.High, "high"}, {d.Medium, "medium"}, {d.Low, "low"}, {d.Other, "no severity"}} {
		if x.n > 0 {
			parts = append(parts, x.name+" "+thousands(x.n))
		}
	}
	return strings.Join(parts, ", ")
}

func (d *Document) span() string {
	return d.Start.Format(timeLayout) + " to " + d.End.Format(timeLayout)
}

func sigID(s SigCount) string { return fmt.Sprintf("%d:%d", s.GID, s.SID) }

// tags are the markers beside a signature: NEW, fresh rule.
func tags(s SigCount) string {
	var t []string
	if s.New {
		t = append(t, "NEW")
	}
	if s.Fresh {
		t = append(t, "fresh rule")
	}
	return strings.Join(t, ", ")
}

func distinct(n int, capped bool) string {
	if capped {
		return thousands(int64(n)) + "+"
	}
	return thousands(int64(n))
}

func portsString(p Pair) string {
	if len(p.DstPorts) == 0 {
		return ""
	}
	parts := make([]string, len(p.DstPorts))
	for i, x := range p.DstPorts {
		parts[i] = strconv.Itoa(x)
	}
	s := strings.Join(parts, ",")
	if p.MorePorts {
		s += ",…"
	}
	return pick(len(p.DstPorts) == 1 && !p.MorePorts, "port ", "ports ") + s
}

// actionsString is "allowed 88, blocked 2", most first.
func actionsString(a map[string]int64) string {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y string) int {
		if c := cmp.Compare(a[y], a[x]); c != 0 {
			return c
		}
		return strings.Compare(x, y)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = printable.String(k) + " " + thousands(a[k])
	}
	return strings.Join(parts, ", ")
}
