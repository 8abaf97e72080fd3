package gen

import (
	"container/heap"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/suricron/suricron/internal/eve"
)

const (
	pTCP  = 6
	pUDP  = 17
	pICMP = 1
)

// flow is one connection: its app-layer and alert records are written when
// it starts, its flow record later (end + timeout), from the pending heap.
type flow struct {
	id, seq            uint64
	src, dst           *host // initiator (client) and responder
	sp, dp             int
	proto              int
	icmpType, icmpCode int
	app                string
	compress           bool // write IPv6 in RFC 5952 form
	startUS, endUS     int64
	logUS              int64
	pktsTS, pktsTC     int64
	bytesTS, bytesTC   int64
	state, reason      string
	alerted, dropped   bool
}

func (f *flow) v6() bool { return f.src.addr.Is6() }

func (f *flow) protoName() string {
	switch f.proto {
	case pTCP:
		return "TCP"
	case pUDP:
		return "UDP"
	}
	if f.v6() {
		return "IPv6-ICMP"
	}
	return "ICMP"
}

func (g *generator) newFlow() *flow {
	var f *flow
	if n := len(g.free); n > 0 {
		f, g.free = g.free[n-1], g.free[:n-1]
		*f = flow{}
	} else {
		f = &flow{}
	}
	g.seq++
	f.seq = g.seq
	if g.cfg.WideFlowIDRate > 0 && g.r.Float64() < g.cfg.WideFlowIDRate {
		f.id = 1<<53 + g.r.Uint64N(1<<63-1<<53)
	} else {
		f.id = 1 + g.r.Uint64N(1<<51-1) // Suricata masks flow_id to 51 bits
	}
	switch g.cfg.IPv6Format {
	case "compressed":
		f.compress = true
	case "mixed":
		f.compress = g.r.IntN(2) == 0
	}
	f.state, f.reason = "established", "timeout"
	return f
}

func (g *generator) ip(f *flow, h *host) string {
	if f.compress {
		return h.compressed
	}
	return h.expanded
}

func pick[T any](g *generator, xs []T) T { return xs[g.r.IntN(len(xs))] }

func (g *generator) inHost(v6 bool) *host {
	if v6 {
		return &g.hosts.in6[g.r.IntN(len(g.hosts.in6))]
	}
	return &g.hosts.in4[g.r.IntN(len(g.hosts.in4))]
}

func (g *generator) extHost(v6 bool) *host {
	if v6 {
		return &g.hosts.ext6[g.r.IntN(len(g.hosts.ext6))]
	}
	// Squaring the index skews traffic towards a few busy external hosts.
	x := g.r.Float64()
	return &g.hosts.ext4[int(x*x*float64(len(g.hosts.ext4)))]
}

func (g *generator) wantV6() bool {
	return g.cfg.IPv6Rate > 0 && len(g.hosts.in6) > 0 && g.r.Float64() < g.cfg.IPv6Rate
}

func (g *generator) ephemeral() int { return 32768 + g.r.IntN(28000) }

// tcpFlow fills packet counts for a TCP connection; complete connections end
// closed, half-open ones (scans) stay "new" with a single SYN.
func (g *generator) tcpFlow(f *flow, t int64, synOnly bool) {
	f.proto = pTCP
	f.startUS = t
	if synOnly {
		f.pktsTS, f.bytesTS = 1, 74
		if f.v6() {
			f.bytesTS = 94
		}
		f.state = "new"
		f.endUS = t
		return
	}
	f.pktsTS = int64(4 + g.r.IntN(30))
	f.pktsTC = f.pktsTS + int64(g.r.IntN(60))
	f.bytesTS = f.pktsTS*66 + int64(g.r.IntN(4000))
	f.bytesTC = f.pktsTC*66 + int64(g.r.ExpFloat64()*40000)
	f.endUS = t + int64(g.r.ExpFloat64()*8e6)
	if g.r.IntN(4) != 0 {
		f.state = "closed"
	}
}

func (g *generator) udpFlow(f *flow, t int64, pkts int) {
	f.proto = pUDP
	f.startUS = t
	f.pktsTS = int64(1 + g.r.IntN(pkts))
	f.pktsTC = int64(g.r.IntN(pkts + 1))
	f.bytesTS = f.pktsTS * int64(60+g.r.IntN(120))
	f.bytesTC = f.pktsTC * int64(80+g.r.IntN(400))
	f.endUS = t + int64(g.r.IntN(2e6))
	if f.pktsTC == 0 {
		f.state = "new"
	}
}

// schedule counts the flow in the stats counters and queues its record.
func (g *generator) schedule(f *flow) error {
	timeout := int64(30e6) // Suricata's default flow timeouts are 30-300 s
	if f.state == "closed" {
		timeout = int64(g.r.IntN(15e6))
	} else if f.state == "established" {
		timeout += int64(g.r.IntN(90e6))
	}
	f.logUS = f.endUS + timeout
	g.countFlow(f)
	if len(g.pending) >= maxPending {
		old := heap.Pop(&g.pending).(*flow)
		old.reason = "forced"
		if err := g.emitFlow(g.now, old); err != nil {
			return err
		}
	}
	heap.Push(&g.pending, f)
	return nil
}

func (g *generator) countFlow(f *flow) {
	c := &g.ctr
	pk := f.pktsTS + f.pktsTC
	c[cDecPkts] += pk
	c[cDecBytes] += f.bytesTS + f.bytesTC
	if f.v6() {
		c[cDecIPv6] += pk
	} else {
		c[cDecIPv4] += pk
	}
	c[cFlowTotal]++
	switch {
	case f.proto == pTCP:
		c[cDecTCP] += pk
		c[cFlowTCP]++
		c[cTCPSyn]++
		if f.pktsTC > 0 {
			c[cTCPSynAck]++
			c[cTCPSessions]++
		} else if g.r.IntN(3) == 0 {
			c[cTCPRst]++
		}
		if g.r.IntN(200) == 0 {
			c[cTCPGap]++
		}
		if g.r.IntN(50) == 0 {
			c[cTCPOverlap]++
		}
	case f.proto == pUDP:
		c[cDecUDP] += pk
		c[cFlowUDP]++
	case f.v6():
		c[cDecICMPv6] += pk
		c[cFlowICMPv6]++
	default:
		c[cDecICMPv4] += pk
		c[cFlowICMPv4]++
	}
	if c[cDecMaxPkt] == 0 {
		c[cDecMaxPkt] = 1514
	}
	switch f.state {
	case "new":
		c[cFlowEndNew]++
	case "closed":
		c[cFlowEndClosed]++
	default:
		c[cFlowEndEst]++
	}
	switch f.app {
	case "http":
		c[cFlowHTTP]++
		c[cTxHTTP]++
	case "tls":
		c[cFlowTLS]++
		c[cTxTLS]++
	case "dns":
		if f.proto == pTCP {
			c[cFlowDNSTCP]++
		} else {
			c[cFlowDNSUDP]++
			c[cTxDNSUDP]++
		}
	case "ssh":
		c[cFlowSSH]++
		c[cTxSSH]++
	case "smtp":
		c[cFlowSMTP]++
		c[cTxSMTP]++
	case "ftp":
		c[cFlowFTP]++
	case "ntp":
		c[cFlowNTP]++
		c[cTxNTP]++
	case "dhcp":
		c[cFlowDHCP]++
	case "quic":
		c[cFlowQUIC]++
	case "failed":
		if f.proto == pTCP {
			c[cFlowFailedTCP]++
		} else {
			c[cFlowFailedUDP]++
		}
	}
}

// session starts one connection at time t and writes its immediate records.
func (g *generator) session(t int64) error {
	if g.r.Float64() < g.cfg.AlertRate {
		return g.alertSession(t)
	}
	f := g.newFlow()
	v6 := g.wantV6()
	switch k := g.r.IntN(100); {
	case k < 30: // DNS lookup
		f.src = g.inHost(v6)
		if v6 || g.r.IntN(10) < 3 {
			f.dst = g.publicResolver(v6)
		} else {
			f.dst = &g.hosts.resolvers4[g.r.IntN(len(g.hosts.resolvers4))]
		}
		f.sp, f.dp, f.app = g.ephemeral(), 53, "dns"
		g.udpFlow(f, t, 1)
		f.pktsTC, f.state = 1, "established"
		f.bytesTC = f.bytesTS + int64(16+g.r.IntN(200))
		name, rrtype := g.domain(), "A"
		if v6 || g.r.IntN(4) == 0 {
			rrtype = "AAAA"
		}
		if err := g.emitDNS(t+int64(g.r.IntN(300)), f, name, rrtype); err != nil {
			return err
		}
	case k < 52: // TLS
		f.src, f.dst = g.inHost(v6), g.extHost(v6)
		f.sp, f.dp, f.app = g.ephemeral(), 443, "tls"
		g.tcpFlow(f, t, false)
		if err := g.emitTLS(t+int64(20_000+g.r.IntN(80_000)), f, g.domain()); err != nil {
			return err
		}
	case k < 62: // HTTP, mostly outbound, some to an internal web server
		if g.r.IntN(10) == 0 {
			f.src, f.dst = g.extHost(v6), g.inHost(v6)
		} else {
			f.src, f.dst = g.inHost(v6), g.extHost(v6)
		}
		f.sp, f.dp, f.app = g.ephemeral(), pick(g, []int{80, 80, 80, 8080}), "http"
		g.tcpFlow(f, t, false)
		if err := g.emitHTTP(t+int64(10_000+g.r.IntN(50_000)), f, g.domain(), ""); err != nil {
			return err
		}
	case k < 72: // other TCP, including ports a weekly report should flag
		f.src, f.dst = g.inHost(v6), g.extHost(v6)
		f.sp = g.ephemeral()
		if g.r.IntN(4) == 0 {
			f.dp = pick(g, []int{4444, 6667, 31337, 8291, 9001, 5555, 2323, 50050, 1337, 7547})
			f.app = "failed"
		} else {
			f.dp = pick(g, []int{22, 22, 25, 587, 993, 3389, 8443, 5222, 1194, 21})
			f.app = appForPort(f.dp)
		}
		g.tcpFlow(f, t, false)
	case k < 82: // inbound scan: one SYN, no answer
		f.src, f.dst = g.extHost(v6), g.inHost(v6)
		f.sp = g.ephemeral()
		f.dp = pick(g, []int{22, 23, 80, 443, 445, 1433, 3306, 3389, 5900, 6379, 8080, 8088, 9200, 2375, 5060, 81, 8443})
		g.tcpFlow(f, t, true)
	case k < 92: // UDP services
		f.src = g.inHost(v6)
		f.sp = g.ephemeral()
		switch g.r.IntN(5) {
		case 0:
			f.dst, f.dp, f.app, f.sp = g.publicResolver(false), 123, "ntp", 123
			f.src = g.inHost(false)
		case 1:
			f.dst, f.dp, f.app = g.extHost(v6), 443, "quic"
		case 2:
			f.dst, f.dp = g.extHost(v6), pick(g, []int{51820, 1194, 3478, 19302, 27015, 5353})
		default:
			f.dst, f.dp, f.app = g.extHost(v6), pick(g, []int{443, 53, 123}), "failed"
		}
		g.udpFlow(f, t, 6)
	default: // ICMP echo or IPv6 router solicitation
		if v6 && g.r.IntN(2) == 0 {
			f.src, f.dst = &g.hosts.linkLocal[g.r.IntN(len(g.hosts.linkLocal))], &g.hosts.allRouters
			f.icmpType = 133
		} else {
			f.src, f.dst = g.inHost(v6), g.extHost(v6)
			f.icmpType = 8
			if v6 {
				f.icmpType = 128
			}
		}
		f.proto = pICMP
		f.startUS = t
		f.pktsTS = int64(1 + g.r.IntN(5))
		f.bytesTS = f.pktsTS * 98
		if f.icmpType != 133 && g.r.IntN(3) != 0 {
			f.pktsTC, f.bytesTC = f.pktsTS, f.bytesTS
		} else {
			f.state = "new"
		}
		f.endUS = t + f.pktsTS*1e6
	}
	if g.r.IntN(40) == 0 && f.proto == pTCP && f.app != "" {
		if err := g.emitAnomaly(t+1000, f); err != nil {
			return err
		}
	}
	return g.schedule(f)
}

func (g *generator) publicResolver(v6 bool) *host {
	if v6 {
		return g.extHost(true)
	}
	return &g.hosts.public4[g.r.IntN(len(g.hosts.public4))]
}

// alertSession creates a connection that matches one signature, shaped by
// the rule header (direction, port, protocol), and writes its records.
func (g *generator) alertSession(t int64) error {
	sig := &g.sigs[sort.SearchFloat64s(g.sigW, g.r.Float64()*g.sigW[len(g.sigW)-1])]
	if g.cfg.Hostile && g.deco.IntN(50) == 0 {
		sig = &g.hostile
	}
	f := g.newFlow()
	v6 := g.wantV6()
	clientHome, serverHome := sig.SrcHome, sig.DstHome
	if sig.ToClient {
		clientHome, serverHome = sig.DstHome, sig.SrcHome
	}
	if !clientHome && !serverHome {
		clientHome = true
	}
	f.src, f.dst = g.extHost(v6), g.extHost(v6)
	if clientHome {
		f.src = g.inHost(v6)
	}
	if serverHome {
		f.dst = g.inHost(v6)
	}
	f.sp = g.ephemeral()
	switch sig.Proto {
	case "http", "tls", "dns", "ssh", "ftp", "smtp":
		f.app = sig.Proto
	}
	f.dp = g.rulePort(sig)
	if f.app == "" {
		f.app = appForPort(f.dp)
	}
	hint := strings.TrimSpace(sig.Hint)
	switch {
	case sig.Proto == "icmp":
		f.proto, f.startUS, f.icmpType = pICMP, t, 8
		f.pktsTS, f.bytesTS, f.endUS = 1, 98, t
		f.sp, f.dp = 0, 0
	case f.app == "dns" || sig.Proto == "udp":
		g.udpFlow(f, t, 3)
	default:
		g.tcpFlow(f, t, sig.Proto == "tcp" && strings.Contains(sig.Rule, "flags:S"))
	}
	if f.proto != pTCP && f.app != "dns" && f.app != "" {
		f.app = "failed"
	}
	f.alerted = true
	blocked := g.cfg.BlockedRate > 0 && g.r.Float64() < g.cfg.BlockedRate
	if blocked {
		f.dropped = true
	}
	at := t + int64(5_000+g.r.IntN(40_000))
	// The app-layer record of the transaction that matched, then the alert.
	host := g.domain()
	switch f.app {
	case "http":
		ua := ""
		if strings.HasPrefix(sig.Buffer, "http.user_agent") || strings.Contains(sig.Msg, "User-Agent") {
			ua = hint
		}
		if strings.HasPrefix(sig.Buffer, "http.host") && looksLikeDomain(hint) {
			host = strings.Trim(hint, ".")
		}
		if err := g.emitHTTP(at-1000, f, host, ua); err != nil {
			return err
		}
	case "tls":
		if looksLikeDomain(hint) {
			host = strings.Trim(hint, ".")
		}
		if err := g.emitTLS(at-1000, f, host); err != nil {
			return err
		}
	case "dns":
		if looksLikeDomain(hint) {
			host = strings.Trim(hint, ".")
			if strings.Count(host, ".") == 0 {
				host = "cdn-" + strconv.Itoa(g.r.IntN(100)) + "." + host
			}
		}
		if err := g.emitDNS(at-1000, f, host, "A"); err != nil {
			return err
		}
	}
	if err := g.emitAlert(at, f, sig, blocked, host); err != nil {
		return err
	}
	if blocked {
		if err := g.emitDrop(at+1, f, sig.ToClient); err != nil {
			return err
		}
	}
	if g.r.IntN(25) == 0 && f.proto == pTCP {
		if err := g.emitAnomaly(at+2, f); err != nil {
			return err
		}
	}
	return g.schedule(f)
}

func appForPort(p int) string {
	switch p {
	case 80:
		return "http"
	case 443:
		return "tls"
	case 53:
		return "dns"
	case 22:
		return "ssh"
	case 21:
		return "ftp"
	case 25, 587:
		return "smtp"
	}
	return ""
}

// certTime formats certificate validity as Suricata does: UTC, no zone.
func certTime(us int64) string {
	return time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05")
}

func looksLikeDomain(s string) bool {
	if !strings.Contains(s, ".") || len(s) < 4 || strings.ContainsAny(s, " /:?=\"'\\") {
		return false
	}
	for _, c := range s {
		if c >= 'a' && c <= 'z' {
			return true
		}
	}
	return false
}

// rulePort picks a server port that the rule's destination port allows.
func (g *generator) rulePort(sig *Signature) int {
	if !sig.ToClient {
		p := sig.DstPort
		if n, err := strconv.Atoi(p); err == nil && n > 0 {
			return n
		}
		if lo, hi, ok := strings.Cut(p, ":"); ok {
			l, e1 := strconv.Atoi(lo)
			h, e2 := strconv.Atoi(hi)
			if e1 == nil && e2 == nil && h >= l {
				return l + g.r.IntN(h-l+1)
			}
		}
	}
	switch sig.Proto {
	case "http":
		return pick(g, []int{80, 80, 8080})
	case "tls":
		return 443
	case "dns":
		return 53
	case "ssh":
		return 22
	case "ftp":
		return 21
	case "smtp":
		return 25
	case "udp":
		return pick(g, []int{53, 123, 161, 1900, 5060, 11211})
	}
	return pick(g, []int{80, 443, 445, 139, 8080, 23, 3389, 4444})
}

// header writes the fields every event starts with, in Suricata's order.
// reverse writes the packet direction server-to-client.
func (g *generator) header(b []byte, ts int64, f *flow, eventType string, reverse bool) []byte {
	b = append(b, `{"timestamp":"`...)
	b = g.clk.append(b, ts)
	b = append(b, '"')
	b = appendUint(b, "flow_id", f.id)
	b = appendStr(b, "in_iface", g.cfg.Interface)
	b = appendStr(b, "event_type", eventType)
	src, dst, sp, dp := f.src, f.dst, f.sp, f.dp
	if reverse {
		src, dst, sp, dp = dst, src, dp, sp
	}
	b = appendStr(b, "src_ip", g.ip(f, src))
	if f.proto != pICMP {
		b = appendInt(b, "src_port", int64(sp))
	}
	b = appendStr(b, "dest_ip", g.ip(f, dst))
	if f.proto != pICMP {
		b = appendInt(b, "dest_port", int64(dp))
	}
	b = appendStr(b, "proto", f.protoName())
	if f.proto == pICMP {
		b = appendInt(b, "icmp_type", int64(f.icmpType))
		b = appendInt(b, "icmp_code", int64(f.icmpCode))
	}
	return b
}

func (g *generator) countEvent(f *flow) {
	if f.v6() {
		g.sum.IPv6Events++
	}
	if f.id >= 1<<53 {
		g.sum.WideFlowIDs++
	}
}

// emitFlow writes the flow record at ts, or at the latest time written if
// that is later, so that timestamps never go backwards in the file.
func (g *generator) emitFlow(ts int64, f *flow) error {
	f.logUS = max(ts, g.now)
	b := g.flowRecord(g.buf[:0], f)
	g.sum.Flows++
	g.sum.FlowsByProto[f.protoName()]++
	g.countEvent(f)
	err := g.emit(f.logUS, "flow", b)
	g.free = append(g.free, f)
	return err
}

func (g *generator) flowRecord(b []byte, f *flow) []byte {
	b = g.header(b, f.logUS, f, "flow", false)
	if f.app != "" {
		b = appendStr(b, "app_proto", f.app)
	}
	b = append(appendKey(b, "flow"), '{')
	b = appendInt(b, "pkts_toserver", f.pktsTS)
	b = appendInt(b, "pkts_toclient", f.pktsTC)
	b = appendInt(b, "bytes_toserver", f.bytesTS)
	b = appendInt(b, "bytes_toclient", f.bytesTC)
	b = g.clk.appendTS(b, "start", f.startUS)
	b = g.clk.appendTS(b, "end", f.endUS)
	b = appendInt(b, "age", (f.endUS-f.startUS)/1e6)
	b = appendStr(b, "state", f.state)
	b = appendStr(b, "reason", f.reason)
	b = appendBool(b, "alerted", f.alerted)
	if f.dropped {
		b = appendStr(b, "action", "drop")
	}
	b = append(b, '}')
	if f.proto == pTCP {
		flags, ts, tc := "02", "02", "00"
		switch {
		case f.state == "closed":
			flags, ts, tc = "1b", "1b", "1b"
		case f.pktsTC > 0:
			flags, ts, tc = "1a", "1a", "1a"
		}
		b = append(appendKey(b, "tcp"), '{')
		b = appendStr(b, "tcp_flags", flags)
		b = appendStr(b, "tcp_flags_ts", ts)
		b = appendStr(b, "tcp_flags_tc", tc)
		switch flags {
		case "02":
			b = appendBool(b, "syn", true)
			b = appendStr(b, "state", "syn_sent")
		case "1a":
			b = appendBool(b, "syn", true)
			b = appendBool(b, "psh", true)
			b = appendBool(b, "ack", true)
			b = appendStr(b, "state", "established")
		default:
			b = appendBool(b, "syn", true)
			b = appendBool(b, "fin", true)
			b = appendBool(b, "psh", true)
			b = appendBool(b, "ack", true)
			b = appendStr(b, "state", "closed")
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func (g *generator) emitAlert(ts int64, f *flow, sig *Signature, blocked bool, host string) error {
	b := g.header(g.buf[:0], ts, f, "alert", sig.ToClient)
	b = appendStr(b, "pkt_src", "wire/pcap")
	if f.app == "http" || f.app == "tls" || f.app == "dns" {
		b = appendInt(b, "tx_id", 0)
	}
	b = append(appendKey(b, "alert"), '{')
	action := "allowed"
	if blocked {
		action = "blocked"
	}
	b = appendStr(b, "action", action)
	b = appendInt(b, "gid", int64(sig.GID))
	b = appendInt(b, "signature_id", int64(sig.SID))
	b = appendInt(b, "rev", int64(sig.Rev))
	b = appendStr(b, "signature", sig.Msg)
	b = appendStr(b, "category", sig.Category)
	b = appendInt(b, "severity", int64(sig.Severity))
	if len(sig.Metadata) > 0 {
		b = append(appendKey(b, "metadata"), '{')
		for _, m := range sig.Metadata {
			b = append(appendKey(b, m.Key), '[')
			for i, v := range m.Values {
				if i > 0 {
					b = append(b, ',')
				}
				b = eve.AppendString(b, v)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	b = append(b, '}')
	switch f.app {
	case "http":
		b = append(appendKey(b, "http"), '{')
		b = appendStr(b, "hostname", host)
		b = appendStr(b, "url", "/")
		b = appendStr(b, "http_method", "GET")
		b = appendStr(b, "protocol", "HTTP/1.1")
		b = append(b, '}')
	case "tls":
		b = append(appendKey(b, "tls"), '{')
		b = appendStr(b, "sni", host)
		b = appendStr(b, "version", "TLS 1.2")
		b = append(b, '}')
	case "dns":
		b = append(appendKey(b, "dns"), '{')
		b = append(appendKey(b, "query"), '[', '{')
		b = appendStr(b, "type", "query")
		b = appendInt(b, "id", int64(g.r.IntN(65536)))
		b = appendStr(b, "rrname", host)
		b = appendStr(b, "rrtype", "A")
		b = appendInt(b, "tx_id", 0)
		b = appendInt(b, "opcode", 0)
		b = append(b, '}', ']', '}')
	}
	if f.app != "" {
		b = appendStr(b, "app_proto", f.app)
	}
	dir := "to_server"
	if sig.ToClient {
		dir = "to_client"
	}
	b = appendStr(b, "direction", dir)
	// flow object: counters at alert time, addresses in initiator direction.
	b = append(appendKey(b, "flow"), '{')
	b = appendInt(b, "pkts_toserver", max(1, f.pktsTS/2))
	b = appendInt(b, "pkts_toclient", f.pktsTC/2)
	b = appendInt(b, "bytes_toserver", max(60, f.bytesTS/2))
	b = appendInt(b, "bytes_toclient", f.bytesTC/2)
	b = g.clk.appendTS(b, "start", f.startUS)
	b = appendStr(b, "src_ip", g.ip(f, f.src))
	b = appendStr(b, "dest_ip", g.ip(f, f.dst))
	if f.proto != pICMP {
		b = appendInt(b, "src_port", int64(f.sp))
		b = appendInt(b, "dest_port", int64(f.dp))
	}
	b = append(b, '}', '}')

	g.sum.Alerts++
	g.sum.AlertsBySID[sig.SID]++
	g.sum.AlertsBySeverity[sig.Severity]++
	if blocked {
		g.sum.AlertsBlocked++
	}
	g.ctr[cDetectAlert]++
	if g.r.IntN(3) == 0 {
		g.ctr[cAlertsSuppressed] += int64(1 + g.r.IntN(3)) // thresholded repeats
	}
	g.countEvent(f)
	return g.emit(ts, "alert", b)
}

func (g *generator) emitDrop(ts int64, f *flow, reverse bool) error {
	b := g.header(g.buf[:0], ts, f, "drop", reverse)
	b = appendStr(b, "pkt_src", "wire/pcap")
	b = append(appendKey(b, "drop"), '{')
	size := int64(60 + g.r.IntN(1400))
	if f.pktsTC == 0 {
		size = 60 // a bare SYN or probe
	}
	b = appendInt(b, "len", size)
	if f.v6() {
		b = appendInt(b, "tc", 0)
		b = appendInt(b, "hoplimit", int64(pick(g, []int{64, 57, 52, 128})))
		b = appendInt(b, "flowlbl", int64(g.r.IntN(1<<20)))
	} else {
		b = appendInt(b, "tos", 0)
		b = appendInt(b, "ttl", int64(pick(g, []int{64, 63, 57, 128, 118, 50})))
		b = appendInt(b, "ipid", int64(g.r.IntN(65536)))
	}
	switch f.proto {
	case pTCP:
		b = appendUint(b, "tcpseq", uint64(g.r.Uint32()))
		b = appendUint(b, "tcpack", uint64(g.r.Uint32()))
		b = appendInt(b, "tcpwin", int64(pick(g, []int{502, 64240, 29200, 1024, 8192})))
		b = appendBool(b, "syn", f.pktsTC == 0)
		b = appendBool(b, "ack", f.pktsTC > 0)
		b = appendBool(b, "psh", f.pktsTC > 0)
		b = appendBool(b, "rst", false)
		b = appendBool(b, "urg", false)
		b = appendBool(b, "fin", false)
		b = appendInt(b, "tcpres", 0)
		b = appendInt(b, "tcpurgp", 0)
	case pUDP:
		b = appendInt(b, "udplen", int64(8+g.r.IntN(512)))
	default:
		b = appendInt(b, "icmp_id", int64(g.r.IntN(65536)))
		b = appendInt(b, "icmp_seq", int64(g.r.IntN(100)))
	}
	b = appendStr(b, "reason", "rules")
	b = append(b, '}', '}')
	g.countEvent(f)
	return g.emit(ts, "drop", b)
}

func (g *generator) emitAnomaly(ts int64, f *flow) error {
	b := g.header(g.buf[:0], ts, f, "anomaly", g.r.IntN(2) == 0)
	b = appendStr(b, "pkt_src", "wire/pcap")
	b = append(appendKey(b, "anomaly"), '{')
	switch g.r.IntN(6) {
	case 0:
		b = appendStr(b, "type", "stream")
		b = appendStr(b, "event", pick(g, []string{"stream.pkt_invalid_ack", "stream.3whs_synack_with_wrong_ack", "stream.est_packet_out_of_window", "stream.fin_but_no_session"}))
	case 1:
		b = appendStr(b, "type", "decode")
		b = appendStr(b, "event", pick(g, []string{"decoder.ipv4.opt_pad_required", "decoder.ipv4.trunc_pkt", "decoder.ipv6.zero_len_padn"}))
	default:
		app := f.app
		if app == "" || app == "failed" {
			app = "tls"
		}
		b = appendStr(b, "app_proto", app)
		b = appendStr(b, "type", "applayer")
		ev := pick(g, []string{"APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION", "APPLAYER_MISMATCH_PROTOCOL_BOTH_DIRECTIONS", "APPLAYER_WRONG_DIRECTION_FIRST_DATA", "INVALID_REPLY", "invalid_banner"})
		b = appendStr(b, "event", ev)
		layer := "proto_parser"
		if strings.HasPrefix(ev, "APPLAYER") {
			layer = "proto_detect"
		}
		b = appendStr(b, "layer", layer)
	}
	b = append(b, '}', '}')
	g.countEvent(f)
	return g.emit(ts, "anomaly", b)
}

func (g *generator) emitDNS(ts int64, f *flow, name, rrtype string) error {
	if g.cfg.Hostile && g.deco.IntN(100) == 0 {
		name = hostileString(g.deco)
	}
	id := int64(g.r.IntN(65536))
	b := g.header(g.buf[:0], ts, f, "dns", false)
	b = appendStr(b, "pkt_src", "wire/pcap")
	b = append(appendKey(b, "dns"), '{')
	b = appendStr(b, "type", "query")
	b = appendInt(b, "id", id)
	b = appendStr(b, "rrname", name)
	b = appendStr(b, "rrtype", rrtype)
	b = appendInt(b, "tx_id", 0)
	b = appendInt(b, "opcode", 0)
	b = append(b, '}', '}')
	g.countEvent(f)
	if err := g.emit(ts, "dns", b); err != nil {
		return err
	}

	ts += int64(500 + g.r.IntN(60_000))
	b = g.header(g.buf[:0], ts, f, "dns", true)
	b = appendStr(b, "pkt_src", "wire/pcap")
	b = append(appendKey(b, "dns"), '{')
	b = appendInt(b, "version", 2)
	b = appendStr(b, "type", "answer")
	b = appendInt(b, "id", id)
	nx := g.r.IntN(20) == 0
	flags := "8180"
	if nx {
		flags = "8183"
	}
	b = appendStr(b, "flags", flags)
	b = appendBool(b, "qr", true)
	b = appendBool(b, "rd", true)
	b = appendBool(b, "ra", true)
	b = appendInt(b, "opcode", 0)
	b = appendStr(b, "rrname", name)
	b = appendStr(b, "rrtype", rrtype)
	if nx {
		b = appendStr(b, "rcode", "NXDOMAIN")
	} else {
		b = appendStr(b, "rcode", "NOERROR")
		n := 1 + g.r.IntN(3)
		addrs := make([]string, 0, 3)
		for range n {
			addrs = append(addrs, g.extHost(rrtype == "AAAA").compressed)
		}
		ttl := int64(pick(g, []int{60, 300, 3600, 86400, 20}))
		b = append(appendKey(b, "answers"), '[')
		for i, a := range addrs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			b = appendStr(b, "rrname", name)
			b = appendStr(b, "rrtype", rrtype)
			b = appendInt(b, "ttl", ttl)
			b = appendStr(b, "rdata", a)
			b = append(b, '}')
		}
		b = append(b, ']')
		b = append(appendKey(b, "grouped"), '{')
		b = append(appendKey(b, rrtype), '[')
		for i, a := range addrs {
			if i > 0 {
				b = append(b, ',')
			}
			b = eve.AppendString(b, a)
		}
		b = append(b, ']', '}')
	}
	b = append(b, '}', '}')
	g.countEvent(f)
	return g.emit(ts, "dns", b)
}

func (g *generator) emitHTTP(ts int64, f *flow, hostname, ua string) error {
	url := pick(g, httpPaths())
	refer := ""
	if g.r.IntN(3) == 0 {
		refer = "http://" + hostname + "/"
	}
	if ua == "" {
		ua = pick(g, userAgents())
	}
	if g.cfg.Hostile && g.deco.IntN(30) == 0 {
		switch g.deco.IntN(3) {
		case 0:
			url = "/search?q=" + hostileString(g.deco)
		case 1:
			ua = hostileString(g.deco)
		default:
			refer = hostileString(g.deco)
		}
	}
	b := g.header(g.buf[:0], ts, f, "http", false)
	b = appendStr(b, "pkt_src", "wire/pcap")
	b = appendInt(b, "tx_id", 0)
	if g.r.IntN(25) == 0 {
		// X-Forwarded-For as logged with xff mode extra-data.
		b = appendStr(b, "xff", g.extHost(false).compressed)
	}
	b = append(appendKey(b, "http"), '{')
	b = appendStr(b, "hostname", hostname)
	if f.dp != 80 {
		b = appendInt(b, "http_port", int64(f.dp))
	}
	b = appendStr(b, "url", url)
	b = appendStr(b, "http_user_agent", ua)
	b = appendStr(b, "http_content_type", pick(g, []string{"text/html", "application/json", "image/png", "application/octet-stream", "text/plain"}))
	if refer != "" {
		b = appendStr(b, "http_refer", refer)
	}
	b = appendStr(b, "http_method", pick(g, []string{"GET", "GET", "GET", "POST", "HEAD"}))
	b = appendStr(b, "protocol", "HTTP/1.1")
	b = appendInt(b, "status", int64(pick(g, []int{200, 200, 200, 200, 301, 302, 304, 404, 403, 500})))
	b = appendInt(b, "length", int64(g.r.IntN(60000)))
	b = append(b, '}', '}')
	g.countEvent(f)
	return g.emit(ts, "http", b)
}

func (g *generator) emitTLS(ts int64, f *flow, sni string) error {
	if g.cfg.Hostile && g.deco.IntN(100) == 0 {
		sni = hostileString(g.deco)
	}
	b := g.header(g.buf[:0], ts, f, "tls", false)
	b = appendStr(b, "pkt_src", "wire/pcap")
	b = append(appendKey(b, "tls"), '{')
	v13 := g.r.IntN(3) != 0
	if !v13 {
		b = appendStr(b, "subject", "CN="+sni)
		b = appendStr(b, "issuerdn", pick(g, []string{"C=US, O=Let's Encrypt, CN=R3", "C=US, O=Google Trust Services LLC, CN=GTS CA 1C3", "C=US, O=DigiCert Inc, CN=DigiCert TLS RSA SHA256 2020 CA1", "C=US, O=Microsoft Corporation, CN=Microsoft RSA TLS CA 01"}))
		b = appendStr(b, "serial", g.hexColon(16, true))
		b = appendStr(b, "fingerprint", g.hexColon(20, false))
	}
	b = appendStr(b, "sni", sni)
	if v13 {
		b = appendStr(b, "version", "TLS 1.3")
	} else {
		b = appendStr(b, "version", "TLS 1.2")
		nb := f.startUS - int64(g.r.IntN(80))*86400e6
		b = appendStr(b, "notbefore", certTime(nb))
		b = appendStr(b, "notafter", certTime(nb+90*86400e6))
	}
	if g.r.IntN(5) < 3 {
		b = append(appendKey(b, "ja3"), '{')
		b = appendStr(b, "hash", g.hexPlain(16))
		b = appendStr(b, "string", pick(g, ja3Strings()))
		b = append(b, '}')
		b = append(appendKey(b, "ja3s"), '{')
		b = appendStr(b, "hash", g.hexPlain(16))
		b = appendStr(b, "string", "771,4865,43-51")
		b = append(b, '}')
	}
	b = append(b, '}', '}')
	g.countEvent(f)
	return g.emit(ts, "tls", b)
}

func (g *generator) hexColon(n int, upper bool) string {
	digits := hexDigits
	if upper {
		digits = "0123456789ABCDEF"
	}
	out := make([]byte, 0, n*3)
	for i := range n {
		if i > 0 {
			out = append(out, ':')
		}
		x := g.r.IntN(256)
		out = append(out, digits[x>>4], digits[x&0xf])
	}
	return string(out)
}

func (g *generator) hexPlain(n int) string {
	out := make([]byte, 0, n*2)
	for range n {
		x := g.r.IntN(256)
		out = append(out, hexDigits[x>>4], hexDigits[x&0xf])
	}
	return string(out)
}

func (g *generator) domain() string {
	d := pick(g, domains())
	if g.r.IntN(4) == 0 {
		return pick(g, []string{"www.", "api.", "cdn.", "static.", "mail."}) + d
	}
	return d
}
