package digest

import (
	"fmt"
	"github.com/suricron/suricron/internal/printable"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// timeLayout shows alert times in the sensor's own offset, as eve.json has
// them, so they match what an analyst greps for.
const timeLayout = "2006-01-02 15:04:05 -0700"

// report is one digest, ready to render. Every string from eve.json in it
// has been through printable.String.
type report struct {
	Host       string
	Batch      string
	Alerts     int64 // in this mail: listed groups + the summarised rest
	Signatures int
	High       int64
	First      time.Time
	Last       time.Time

	Groups      []groupView // the first MaxGroups
	MoreGroups  int
	MoreAlerts  int64
	Sigs        []SignatureTotal // the first MaxGroups
	MoreSigs    int
	MoreSigAlts int64
	Notes       []string // skipped lines, suppressions, gaps: nothing hidden silently
}

// groupView is a Group with display strings.
type groupView struct {
	Count     int64
	SID       int64
	Signature string
	Src, Dst  string
	Severity  int
	SevLabel  string
	Ports     string
	First     string
	Last      string
	Category  string
	Link      string
}

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
		return "(many)"
	}
	return a.String()
}

func portsString(g *Group) string {
	if len(g.Ports) == 0 {
		return "-"
	}
	parts := make([]string, len(g.Ports))
	for i, p := range g.Ports {
		parts[i] = strconv.Itoa(int(p))
	}
	s := strings.Join(parts, ",")
	if g.MorePorts {
		s += ",…"
	}
	return s
}

func newGroupView(g *Group, link *LinkTemplate) groupView {
	v := groupView{
		Count: g.Count, SID: g.SID, Signature: printable.String(g.Signature),
		Src: addrString(g.Src), Dst: addrString(g.Dst),
		Severity: g.Severity, SevLabel: sevLabel(g.Severity),
		Ports: portsString(g), First: g.First.Format(timeLayout), Last: g.Last.Format(timeLayout),
		Category: printable.String(g.Category),
	}
	if link != nil {
		v.Link = link.URL(g)
	}
	return v
}

// subject is the contract of DESIGN §3: plain numbers, so that mail
// filters and scripts can match it.
func (r *report) subject() string {
	return fmt.Sprintf("[suricron] %s: %d alerts, %d signatures (%d high)",
		printable.String(r.Host), r.Alerts, r.Signatures, r.High)
}

// thousands formats a count with thousands separators (5,120).
func thousands(n int64) string { return message.NewPrinter(language.English).Sprint(n) }

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}

func (r *report) headline() string {
	return fmt.Sprintf("%s in %s, %s (%s high), %s to %s.",
		plural(r.Alerts, "alert", "alerts"),
		plural(int64(len(r.Groups)+r.MoreGroups), "group", "groups"),
		plural(int64(r.Signatures), "signature", "signatures"),
		thousands(r.High), r.First.Format(timeLayout), r.Last.Format(timeLayout))
}

func (r *report) moreGroupsLine() string {
	if r.MoreGroups == 0 {
		return ""
	}
	return fmt.Sprintf("and %s more %s, %s", thousands(int64(r.MoreGroups)),
		pick(r.MoreGroups == 1, "group", "groups"), plural(r.MoreAlerts, "alert", "alerts"))
}

func (r *report) moreSigsLine() string {
	if r.MoreSigs == 0 {
		return ""
	}
	return fmt.Sprintf("and %s more %s, %s", thousands(int64(r.MoreSigs)),
		pick(r.MoreSigs == 1, "signature", "signatures"), plural(r.MoreSigAlts, "alert", "alerts"))
}

func pick(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}
