package fleet

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/suricron/suricron/internal/homenet"
	"github.com/suricron/suricron/internal/report"
)

// Sections 2 (unusual ports) and 4 (local network) from the flow events
// in the events table and the alerts table, with the local report's
// definitions (internal/report's fold.go): HOME_NET membership,
// multicast/broadcast destinations, the flow direction, an alert's
// addresses turned round when it matched the server's reply, a service
// being a port that answered. ClickHouse 18.16 has no IPv4/IPv6 types, so
// an address is classified from IPv4StringToNum / IPv6StringToNum of its
// string column against HOME_NET flattened into ranges
// (homenet.Set.Ranges), and printed back in Go's canonical form.

// maxPortRows bounds the port rows fetched: a scan of every port must not
// download 65,536 rows per direction. Rows come ranked, so only the tail
// that no report would show is cut, and a note says so.
const maxPortRows = 5000

// members is the local report's cap on internal hosts and external peers
// listed per port row (report.DefaultLimits.Members).
var members = report.DefaultLimits.Members

// addrExprs are the ClickHouse expressions that classify the address in
// column col, as aliases prefixed with p: p_ok (a valid address), p_str
// (its canonical text), p_loc (in HOME_NET), p_grp (multicast, broadcast or
// unspecified: groupAddr in the report).
func addrExprs(col, p string, rs []homenet.Range) string {
	var v4, v6 []string
	for _, r := range rs {
		lo, hi := r.Lo.As16(), r.Hi.As16()
		if r.Lo.Is4() {
			v4 = append(v4, fmt.Sprintf("%[1]s_n4 BETWEEN %d AND %d", p, be32(r.Lo), be32(r.Hi)))
		} else {
			v6 = append(v6, fmt.Sprintf("%s_n6 BETWEEN unhex('%x') AND unhex('%x')", p, lo[:], hi[:]))
		}
	}
	or := func(c []string) string {
		if len(c) == 0 {
			return "0"
		}
		return "(" + strings.Join(c, " OR ") + ")"
	}
	const zero16 = "unhex('00000000000000000000000000000000')"
	return strings.NewReplacer("P_", p+"_", "COL", col, "V4COND", or(v4), "V6COND", or(v6), "ZERO", zero16).Replace(
		`position(COL, ':') > 0 AS P_is6, IPv6StringToNum(COL) AS P_n6,
  P_is6 AND substring(P_n6, 1, 12) = unhex('00000000000000000000FFFF') AS P_mapped, P_is6 AND NOT P_mapped AS P_v6,
  if(P_v6, toUInt32(0), if(P_is6, reinterpretAsUInt32(reverse(substring(P_n6, 13, 4))), IPv4StringToNum(COL))) AS P_n4,
  COL != '' AND if(P_v6, P_n6 != ZERO OR match(COL, '^[0:]+$'), P_n4 != 0 OR match(COL, '^(::ffff:)?0+\\.0+\\.0+\\.0+$')) AS P_ok,
  if(P_v6, IPv6NumToString(P_n6), IPv4NumToString(P_n4)) AS P_str,
  P_ok AND if(P_v6, V6COND, V4COND) AS P_loc,
  P_ok AND if(P_v6, substring(P_n6, 1, 1) = unhex('FF') OR P_n6 = ZERO, (P_n4 >= 3758096384 AND P_n4 <= 4026531839) OR P_n4 = 0 OR bitAnd(P_n4, 255) = 255) AS P_grp`)
}

func be32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// connRows is one row per flow (fl = 1) and alert (fl = 0) in where, each
// with its addresses classified and its direction (the report's
// direction()). An alert whose destination port is unprivileged and higher
// than its source port matched the reply and is turned round.
func (q *querier) connRows(where string, withAlerts bool) string {
	flows := fmt.Sprintf(`SELECT toUInt64(ts) * 1000000 + usec AS t, lower(proto) AS pr, src_port AS sp, dest_port AS dp, src_ip AS sa, dest_ip AS da,
    bytes_toserver + bytes_toclient AS b, bytes_toclient AS btc, toUInt8(1) AS fl
  FROM events FINAL WHERE event_type = 'flow' AND %s`, where)
	src := flows
	if withAlerts {
		src += fmt.Sprintf(`
  UNION ALL
  SELECT t, pr, sp, dp, sa, da, b, btc, fl FROM (
    SELECT toUInt64(ts) * 1000000 + usec AS t, lower(proto) AS pr, dest_port >= 1024 AND src_port < dest_port AS sw,
      if(sw, dest_port, src_port) AS sp, if(sw, src_port, dest_port) AS dp, if(sw, dest_ip, src_ip) AS sa, if(sw, src_ip, dest_ip) AS da,
      toUInt64(0) AS b, toUInt64(0) AS btc, toUInt8(0) AS fl
    FROM alerts FINAL WHERE %s)`, where)
	}
	return fmt.Sprintf(`SELECT t, pr, sp, dp, b, btc, fl, %s, %s,
  if(d_grp, if(s_loc, 'local', 'in'), multiIf(s_loc AND d_loc, 'local', d_loc, 'in', s_loc, 'out', 'ext')) AS dir
FROM (%s)`, addrExprs("sa", "s", q.ranges), addrExprs("da", "d", q.ranges), src)
}

// learned is the services (proto/port) that had flows before the period:
// the baseline that makes a port usual, as the local report learns it.
func (q *querier) learned(start time.Time) string {
	return fmt.Sprintf("SELECT DISTINCT concat(lower(proto), '/', toString(dest_port)) FROM events WHERE event_type = 'flow' AND (src_port != 0 OR dest_port != 0) AND %s", q.before(start))
}

// ports fills the anchor day with the period's port rows that are not
// learned: totals per proto/port/direction, and the first internal hosts
// and external peers of each (by time; the local report keeps the first in
// file order).
func (q *querier) ports(d *report.Day, p report.Period, notes *[]string) error {
	cur := q.where(p.Start, p.End)
	filter := fmt.Sprintf("(sp != 0 OR dp != 0) AND concat(pr, '/', toString(dp)) NOT IN (%s)", q.learned(p.Start))
	rows, err := q.rows(fmt.Sprintf(`SELECT pr, dp, dir, sum(fl) AS flows, sum(b) AS bytes, count() - flows AS alerts, min(t)
FROM (%s) WHERE %s GROUP BY pr, dp, dir ORDER BY flows + alerts DESC, bytes DESC, pr, dp, dir LIMIT %d`,
		q.connRows(cur, true), filter, maxPortRows+1))
	if err != nil {
		return err
	}
	if len(rows) > maxPortRows {
		rows = rows[:maxPortRows]
		*notes = append(*notes, fmt.Sprintf("more than %d unusual port rows: the smallest were not fetched from ClickHouse", maxPortRows))
	}
	type key struct {
		proto, dir string
		port       int
	}
	idx := map[key]*report.Port{}
	for _, r := range rows {
		if len(r) < 7 {
			return fmt.Errorf("fleet ports: short row %q", r)
		}
		x := &report.Port{Proto: unescape(r[0]), Port: int(atoi(r[1])), Dir: r[2], Flows: atoi(r[3]), Bytes: atoi(r[4]), Alerts: atoi(r[5]), First: micros(r[6])}
		idx[key{x.Proto, x.Dir, x.Port}] = x
		d.Ports = append(d.Ports, x)
	}
	if len(rows) == 0 {
		return nil
	}
	// Members: each address's first time and count per port row and side,
	// the first `members` kept, the others' occurrences counted as more.
	err = q.jsonRows(fmt.Sprintf(`SELECT pr, dp, dir, h, arraySort(x -> (tupleElement(x, 2), tupleElement(x, 1)), groupArray((a, first, n))) AS l,
  arrayMap(x -> tupleElement(x, 1), arraySlice(l, 1, %[1]d)) AS list, arraySum(arrayMap(x -> tupleElement(x, 3), arraySlice(l, %[2]d))) AS more
FROM (
  SELECT pr, dp, dir, a, h, min(t) AS first, count() AS n FROM (
    SELECT pr, dp, dir, t, arrayJoin(arrayFilter(x -> tupleElement(x, 3), [(s_str, s_loc, s_ok AND NOT s_grp), (d_str, d_loc, d_ok AND NOT d_grp)])) AS m,
      tupleElement(m, 1) AS a, tupleElement(m, 2) AS h
    FROM (%[3]s) WHERE %[4]s)
  GROUP BY pr, dp, dir, a, h)
GROUP BY pr, dp, dir, h`, members, members+1, q.connRows(cur, true), filter), func(line []byte) error {
		var m struct {
			Proto string   `json:"pr"`
			Port  num      `json:"dp"`
			Dir   string   `json:"dir"`
			Host  num      `json:"h"`
			List  []string `json:"list"`
			More  num      `json:"more"`
		}
		if err := json.Unmarshal(line, &m); err != nil {
			return err
		}
		x := idx[key{m.Proto, m.Dir, int(m.Port)}]
		if x == nil {
			return nil // beyond maxPortRows
		}
		if m.Host != 0 {
			x.Hosts, x.HostsMore = m.List, int64(m.More)
		} else {
			x.Peers, x.PeersMore = m.List, int64(m.More)
		}
		return nil
	})
	return err
}

// hostSide lists a flow's internal, non-group addresses (both, when a
// host talks to itself: the report counts it twice too).
const hostSide = "arrayJoin(arrayFilter(x -> tupleElement(x, 2), [(s_str, s_loc AND NOT s_grp), (d_str, d_loc AND NOT d_grp)])) AS m, tupleElement(m, 1) AS a"

// hosts fills the anchor day with the internal hosts the report can show:
// the busiest by flows, the top talkers by bytes and the busiest new ones,
// each ranked in ClickHouse; and base with those seen before the period,
// so the report marks the others new.
func (q *querier) hosts(d *report.Day, base *report.Day, p report.Period, top int) error {
	cur := q.where(p.Start, p.End)
	grouped := fmt.Sprintf("SELECT a, count() AS flows, sum(b) AS bytes, min(t) AS first FROM (SELECT b, t, %s FROM (%s)) GROUP BY a", hostSide, q.connRows(cur, false))
	earlier := fmt.Sprintf("SELECT DISTINCT a FROM (SELECT %s FROM (%s))", hostSide, q.connRows(q.before(p.Start), false))
	byIP := map[string]*report.Host{}
	for _, sql := range []string{
		fmt.Sprintf("SELECT * FROM (%s) ORDER BY flows DESC, bytes DESC, a LIMIT %d", grouped, top),
		fmt.Sprintf("SELECT * FROM (%s) ORDER BY bytes DESC, a LIMIT 10", grouped),
		fmt.Sprintf("SELECT * FROM (%s) WHERE a NOT IN (%s) ORDER BY flows DESC, bytes DESC, a LIMIT %d", grouped, earlier, top),
	} {
		rows, err := q.rows(sql)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if len(r) < 4 {
				return fmt.Errorf("fleet hosts: short row %q", r)
			}
			ip := unescape(r[0])
			if byIP[ip] != nil {
				continue
			}
			h := &report.Host{IP: ip, Flows: atoi(r[1]), Bytes: atoi(r[2]), First: micros(r[3]), Services: map[string]int64{}}
			byIP[ip] = h
			d.Hosts = append(d.Hosts, h)
		}
	}
	if len(byIP) == 0 {
		return nil
	}
	var list []string
	for ip := range byIP {
		list = append(list, quote(ip))
	}
	in := strings.Join(list, ", ")
	// A service is a port that answered: flows to the host with bytes back.
	rows, err := q.rows(fmt.Sprintf(`SELECT d_str, concat(pr, '/', toString(dp)) AS svc, count() FROM (%s)
WHERE d_loc AND NOT d_grp AND (sp != 0 OR dp != 0) AND btc > 0 AND d_str IN (%s) GROUP BY d_str, svc`, q.connRows(cur, false), in))
	if err != nil {
		return err
	}
	for _, r := range rows {
		if h := byIP[unescape(r[0])]; h != nil && len(r) >= 3 {
			h.Services[unescape(r[1])] += atoi(r[2])
		}
	}
	rows, err = q.rows(fmt.Sprintf("SELECT a FROM (%s) WHERE a IN (%s)", earlier, in))
	if err != nil {
		return err
	}
	for _, r := range rows {
		base.Hosts = append(base.Hosts, &report.Host{IP: unescape(r[0])})
	}
	return nil
}

// anyBefore reports whether the store holds any record the local report
// would have folded (alert, flow, stats) before t: with none, nothing can
// be called new, as locally.
func (q *querier) anyBefore(t time.Time) (bool, error) {
	for _, sql := range []string{
		fmt.Sprintf("SELECT count() FROM (SELECT 1 FROM alerts WHERE %s LIMIT 1)", q.before(t)),
		fmt.Sprintf("SELECT count() FROM (SELECT 1 FROM stats WHERE %s LIMIT 1)", q.before(t)),
		fmt.Sprintf("SELECT count() FROM (SELECT 1 FROM events WHERE event_type = 'flow' AND %s LIMIT 1)", q.before(t)),
	} {
		rows, err := q.rows(sql)
		if err != nil {
			return false, err
		}
		if len(rows) > 0 && atoi(rows[0][0]) > 0 {
			return true, nil
		}
	}
	return false, nil
}

// jsonRows runs sql as JSONEachRow and hands each line to fn: arrays are
// easier to read from JSON than from TabSeparated.
func (q *querier) jsonRows(sql string, fn func([]byte) error) error {
	out, err := q.c.Query(q.ctx, sql+" FORMAT JSONEachRow")
	if err != nil {
		return fmt.Errorf("fleet query: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if err := fn(sc.Bytes()); err != nil {
			return fmt.Errorf("fleet query: row %q: %w", sc.Text(), err)
		}
	}
	return sc.Err()
}

// num reads a JSONEachRow integer, which ClickHouse quotes when 64-bit.
type num uint64

func (n *num) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := strconv.ParseUint(s, 10, 64)
	*n = num(v)
	return err
}

// micros is a microsecond Unix time from toUInt64(ts) * 1e6 + usec.
func micros(s string) time.Time {
	n := atoi(s)
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMicro(n).UTC()
}
