// Package fleet is the ClickHouse side of the fleet report: it answers
// weekly-report --source clickhouse with the report's own day aggregates,
// computed by GROUP BY queries in ClickHouse over the tables eve-ship
// fills (never by downloading rows), plus a per-sensor table. Every query
// reads with FINAL, so rows resent after a crash count once.
package fleet

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/suricron/suricron/internal/homenet"
	"github.com/suricron/suricron/internal/report"
	"github.com/suricron/suricron/internal/ship"
)

// Source implements report.Source over ClickHouse.
type Source struct {
	Client *ship.Client
	Sensor string // "": the whole fleet
	// SilentAfter flags a sensor whose last event is older than this
	// before Now.
	SilentAfter time.Duration
	Now         func() time.Time
	// HomeNet and SuricataYAML are weekly-report's --home-net and
	// --suricata-yaml: the local network of sections 2 and 4, as in the
	// local report.
	HomeNet, SuricataYAML string
}

// Days runs the queries for period and returns the report's aggregates.
func (s *Source) Days(ctx context.Context, p report.Period, loc *time.Location, top int) (*report.SourceData, error) {
	if s.Now == nil {
		s.Now = time.Now
	}
	if top <= 0 {
		top = 20
	}
	set, err := homenet.NewSet(homenet.Options{HomeNet: s.HomeNet, SuricataYAML: s.SuricataYAML})
	if err != nil {
		return nil, fmt.Errorf("home net: %w", err)
	}
	q := &querier{c: s.Client, loc: loc, sensor: s.Sensor, ctx: ctx, ranges: set.Ranges()}
	data := &report.SourceData{Cur: map[string]*report.Day{}, Prev: map[string]*report.Day{}, Base: map[string]*report.Day{}}
	day := func(m map[string]*report.Day, date string) *report.Day {
		d := m[date]
		if d == nil {
			d = report.NewDay(date)
			m[date] = d
		}
		return d
	}
	cur := q.where(p.Start, p.End)

	// Events per day (NoData, first/last), over the three tables.
	for _, t := range ship.Tables {
		rows, err := q.rows(fmt.Sprintf("SELECT %s AS d, count(), toUInt64(min(ts)), toUInt64(max(ts)) FROM %s FINAL WHERE %s GROUP BY d", q.date(), t, cur))
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			d := day(data.Cur, r[0])
			d.Events += atoi(r[1])
			first, last := unix(r[2]), unix(r[3])
			if d.First.IsZero() || first.Before(d.First) {
				d.First = first
			}
			if last.After(d.Last) {
				d.Last = last
			}
		}
	}
	// 1. Alerts per day and severity.
	rows, err := q.rows(fmt.Sprintf("SELECT %s AS d, severity, count() FROM alerts FINAL WHERE %s GROUP BY d, severity", q.date(), cur))
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		d := day(data.Cur, r[0])
		n := atoi(r[2])
		d.Alerts.Total += n
		d.Alerts.BySeverity[r[1]] += n
	}
	// Signatures per day of the period; per signature for the week before.
	sigs := func(m map[string]*report.Day, where string, byDay bool) error {
		dateExpr := "'prev'"
		if byDay {
			dateExpr = q.date()
		}
		rows, err := q.rows(fmt.Sprintf("SELECT %s AS d, signature_id, any(signature), any(category), min(severity), count(), toUInt64(min(ts)) FROM alerts FINAL WHERE %s GROUP BY d, signature_id", dateExpr, where))
		if err != nil {
			return err
		}
		for _, r := range rows {
			d := day(m, r[0])
			d.Alerts.Sigs = append(d.Alerts.Sigs, &report.Sig{SID: atoi(r[1]), Signature: unescape(r[2]), Category: unescape(r[3]),
				Severity: int(atoi(r[4])), Count: atoi(r[5]), First: unix(r[6])})
			if !byDay {
				d.Alerts.Total += atoi(r[5])
			}
		}
		return nil
	}
	if err := sigs(data.Cur, cur, true); err != nil {
		return nil, err
	}
	prevWhere := q.where(p.Start.AddDate(0, 0, -7), p.Start)
	if err := sigs(data.Prev, prevWhere, false); err != nil {
		return nil, err
	}
	// Earlier signatures: only which SIDs were seen, for "new".
	rows, err = q.rows(fmt.Sprintf("SELECT DISTINCT signature_id FROM alerts WHERE %s", q.before(p.Start)))
	if err != nil {
		return nil, err
	}
	if len(rows) > 0 {
		b := day(data.Base, "before")
		for _, r := range rows {
			b.Alerts.Sigs = append(b.Alerts.Sigs, &report.Sig{SID: atoi(r[0]), Count: 1})
		}
	}
	for _, pd := range data.Prev {
		data.Base["prev"] = pd // the baseline includes the week before, as locally
	}
	// Top sources and destinations of the period, ranked in ClickHouse.
	anchor := day(data.Cur, p.Start.In(loc).Format(time.DateOnly))
	for col, dst := range map[string]map[string]int64{"src_ip": anchor.Alerts.Src, "dest_ip": anchor.Alerts.Dst} {
		rows, err := q.rows(fmt.Sprintf("SELECT %s AS a, count() AS n FROM alerts FINAL WHERE %s GROUP BY a ORDER BY n DESC, a LIMIT %d", col, cur, top))
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			dst[unescape(r[0])] += atoi(r[1])
		}
	}
	// 3. Capture health: restart-aware deltas per sensor, summed per day.
	caps, err := q.capture(p)
	if err != nil {
		return nil, err
	}
	for _, c := range caps {
		d := day(data.Cur, c.date)
		d.Capture.Records += c.records
		d.Capture.WithCapture += c.withCapture
		d.Capture.KernelPackets += c.packets
		d.Capture.KernelDrops += c.drops
		d.Capture.DecoderPkts += c.decoder
		d.Capture.Restarts += int(c.restarts)
	}
	for date := range data.Cur {
		if date < p.Start.In(loc).Format(time.DateOnly) {
			delete(data.Cur, date)
		}
	}
	// 2. Unusual ports and 4. local network, into the anchor day: the
	// report sums the days, and one row per port or host keeps the
	// members exactly as ranked here.
	if err := q.ports(anchor, p, &data.Notes); err != nil {
		return nil, err
	}
	if earlier, err := q.anyBefore(p.Start); err != nil {
		return nil, err
	} else if earlier {
		day(data.Base, "before")
	}
	baseHosts := report.NewDay("hosts")
	if err := q.hosts(anchor, baseHosts, p, top); err != nil {
		return nil, err
	}
	if len(baseHosts.Hosts) > 0 {
		data.Base["hosts"] = baseHosts
	}
	if len(data.Cur) == 1 && anchor.Events == 0 && len(anchor.Alerts.Src) == 0 && len(anchor.Ports) == 0 && len(anchor.Hosts) == 0 {
		delete(data.Cur, anchor.Date)
	}
	data.Sensors, err = s.sensors(q, p, caps)
	if err != nil {
		return nil, err
	}
	return data, nil
}

// sensors builds the per-sensor table: every sensor ever seen, with its
// period's alerts and capture health and its last event of all time.
func (s *Source) sensors(q *querier, p report.Period, caps []capRow) ([]report.SensorRow, error) {
	bySensor := map[string]*report.SensorRow{}
	get := func(name string) *report.SensorRow {
		r := bySensor[name]
		if r == nil {
			r = &report.SensorRow{Sensor: name}
			bySensor[name] = r
		}
		return r
	}
	for _, t := range ship.Tables {
		rows, err := q.rows(fmt.Sprintf("SELECT sensor, toUInt64(max(ts)) FROM %s WHERE %s GROUP BY sensor", t, q.sensorOnly()))
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			x := get(unescape(r[0]))
			if last := unix(r[1]); last.After(x.LastEvent) {
				x.LastEvent = last
			}
		}
	}
	rows, err := q.rows(fmt.Sprintf("SELECT sensor, count(), countIf(severity = 1) FROM alerts FINAL WHERE %s GROUP BY sensor", q.where(p.Start, p.End)))
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		x := get(unescape(r[0]))
		x.Alerts, x.High = atoi(r[1]), atoi(r[2])
	}
	for _, c := range caps {
		x := get(c.sensor)
		x.KernelPackets += c.packets
		x.KernelDrops += c.drops
		x.Restarts += int(c.restarts)
	}
	now := s.Now()
	var out []report.SensorRow
	for _, x := range bySensor {
		if x.KernelPackets > 0 {
			x.DropRatio = float64(x.KernelDrops) / float64(x.KernelPackets)
		}
		x.Silent = s.SilentAfter > 0 && now.Sub(x.LastEvent) > s.SilentAfter
		out = append(out, *x)
	}
	sortSensors(out)
	return out, nil
}

type capRow struct {
	sensor, date                                            string
	records, withCapture, packets, drops, decoder, restarts int64
}

// capture sums the cumulative stats counters as deltas per sensor, in
// ClickHouse: each sensor's records of the period are sorted by time into
// an array, and each record counts its increase over the one before; a
// lower uptime or a lower counter is a restart, after which the value is
// itself the increase. A sensor's first record counts only if its engine
// started within the first minute (as the local report does).
func (q *querier) capture(p report.Period) ([]capRow, error) {
	// Shifted copies of the arrays (arrayPushFront(arrayPopBack(a), -1))
	// pair each record with the one before in a multi-array arrayMap: a
	// lambda that indexed the captured array instead would copy it per
	// element, quadratic memory (64 GiB for 75 k records of a week).
	sql := fmt.Sprintf(`SELECT sensor, j.1 AS day, count(), sum(j.6), sum(j.2), sum(j.3), sum(j.4), sum(j.5) FROM (
  SELECT sensor, arraySort(groupArray((toUInt64(ts) * 1000000 + usec, toInt64(uptime), toInt64(kernel_packets), toInt64(kernel_drops), %s, toInt64(decoder_pkts), toInt64(has_capture)))) AS s,
    arrayMap(t -> t.2, s) AS up, arrayPushFront(arrayPopBack(up), -1) AS pup,
    arrayMap(t -> t.3, s) AS kp, arrayPushFront(arrayPopBack(kp), 0) AS pkp,
    arrayMap(t -> t.4, s) AS kd, arrayPushFront(arrayPopBack(kd), 0) AS pkd,
    arrayMap(t -> t.6, s) AS dp, arrayPushFront(arrayPopBack(dp), 0) AS pdp,
    arrayJoin(arrayMap((dd, u, pu, k, pk, r, pr, e, pe, h) -> (dd,
      if(pu < 0, if(u <= 60, k, 0), if(u < pu OR k < pk, k, k - pk)),
      if(pu < 0, if(u <= 60, r, 0), if(u < pu OR r < pr, r, r - pr)),
      if(pu < 0, if(u <= 60, e, 0), if(u < pu OR e < pe, e, e - pe)),
      pu >= 0 AND u < pu,
      h),
      arrayMap(t -> t.5, s), up, pup, kp, pkp, kd, pkd, dp, pdp, arrayMap(t -> t.7, s))) AS j
  FROM stats FINAL WHERE %s GROUP BY sensor
) GROUP BY sensor, day`, q.date(), q.where(p.Start, p.End))
	rows, err := q.rows(sql)
	if err != nil {
		return nil, err
	}
	var out []capRow
	for _, r := range rows {
		out = append(out, capRow{sensor: unescape(r[0]), date: r[1], records: atoi(r[2]), withCapture: atoi(r[3]),
			packets: atoi(r[4]), drops: atoi(r[5]), decoder: atoi(r[6]), restarts: atoi(r[7])})
	}
	return out, nil
}

type querier struct {
	ctx    context.Context
	c      *ship.Client
	loc    *time.Location
	sensor string
	ranges []homenet.Range // HOME_NET and the always-local ranges
}

// date is the expression of a row's calendar day in the report's zone.
// An IANA name is passed to ClickHouse; otherwise (time.Local without a
// name) the zone's offset is added, which is exact except across a DST
// change.
func (q *querier) date() string {
	name := q.loc.String()
	if name == "UTC" || strings.Contains(name, "/") {
		return fmt.Sprintf("toString(toDate(ts, '%s'))", name)
	}
	_, off := time.Now().In(q.loc).Zone()
	return fmt.Sprintf("toString(toDate(ts + %d, 'UTC'))", off)
}

func (q *querier) sensorOnly() string {
	if q.sensor == "" {
		return "1"
	}
	return "sensor = " + quote(q.sensor)
}

// where bounds ts to [from, to) and the date column too, so ClickHouse
// reads only the partitions and granules of the period.
func (q *querier) where(from, to time.Time) string {
	return fmt.Sprintf("date >= toDate(%d) - 1 AND date <= toDate(%d) + 1 AND ts >= toDateTime(%d) AND ts < toDateTime(%d) AND %s",
		from.Unix(), to.Unix(), from.Unix(), to.Unix(), q.sensorOnly())
}

func (q *querier) before(t time.Time) string {
	return fmt.Sprintf("ts < toDateTime(%d) AND %s", t.Unix(), q.sensorOnly())
}

func (q *querier) rows(sql string) ([][]string, error) {
	out, err := q.c.Query(q.ctx, sql+" FORMAT TabSeparated")
	if err != nil {
		return nil, fmt.Errorf("fleet query: %w", err)
	}
	var rows [][]string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		rows = append(rows, strings.Split(sc.Text(), "\t"))
	}
	return rows, sc.Err()
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func unix(s string) time.Time {
	n := atoi(s)
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

// unescape reverses TabSeparated escaping.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	return strings.NewReplacer(`\t`, "\t", `\n`, "\n", `\\`, `\`, `\'`, `'`, `\0`, "\x00", `\r`, "\r", `\b`, "\b", `\f`, "\f").Replace(s)
}

// quote is a ClickHouse string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func sortSensors(s []report.SensorRow) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].Sensor < s[j-1].Sensor; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
