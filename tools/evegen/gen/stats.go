package gen

import (
	"fmt"
	"strconv"
	"strings"
)

// Counter indexes the live values of one Suricata run. Everything else in a
// stats record is a constant zero (or a fixed gauge) in the template.
type counter int

const (
	cUptime counter = iota
	cKernelPackets
	cKernelDrops
	cDecPkts
	cDecBytes
	cDecInvalid
	cDecIPv4
	cDecIPv6
	cDecTCP
	cDecUDP
	cDecICMPv4
	cDecICMPv6
	cDecAvgPkt // gauge
	cDecMaxPkt // gauge
	cFlowTotal
	cFlowActive // gauge
	cFlowTCP
	cFlowUDP
	cFlowICMPv4
	cFlowICMPv6
	cFlowSpare  // gauge
	cFlowMemuse // gauge
	cFlowEndNew
	cFlowEndEst
	cFlowEndClosed
	cMgrChecked
	cMgrTimeout
	cTCPSyn
	cTCPSynAck
	cTCPRst
	cTCPSessions
	cTCPActive // gauge
	cTCPGap
	cTCPOverlap
	cTCPMidstream
	cTCPMemuse // gauge
	cRulesLoaded
	cDetectAlert
	cAlertsSuppressed
	cFlowHTTP
	cFlowTLS
	cFlowSSH
	cFlowSMTP
	cFlowFTP
	cFlowNTP
	cFlowDHCP
	cFlowDNSUDP
	cFlowDNSTCP
	cFlowQUIC
	cFlowFailedTCP
	cFlowFailedUDP
	cTxHTTP
	cTxTLS
	cTxDNSUDP
	cTxNTP
	cTxSMTP
	cTxSSH
	cMemcapPressure // gauge
	cLastReload     // microseconds; written as a timestamp string
	nCounters
)

// counterNames maps template placeholders to counters.
func counterNames() map[string]counter {
	return map[string]counter{
		"uptime": cUptime, "kernel_packets": cKernelPackets, "kernel_drops": cKernelDrops,
		"pkts": cDecPkts, "bytes": cDecBytes, "invalid": cDecInvalid, "ipv4": cDecIPv4, "ipv6": cDecIPv6,
		"tcp": cDecTCP, "udp": cDecUDP, "icmpv4": cDecICMPv4, "icmpv6": cDecICMPv6,
		"avg_pkt_size": cDecAvgPkt, "max_pkt_size": cDecMaxPkt,
		"flow_total": cFlowTotal, "flow_active": cFlowActive, "flow_tcp": cFlowTCP, "flow_udp": cFlowUDP,
		"flow_icmpv4": cFlowICMPv4, "flow_icmpv6": cFlowICMPv6, "flow_spare": cFlowSpare,
		"flow_memuse": cFlowMemuse, "end_new": cFlowEndNew, "end_est": cFlowEndEst, "end_closed": cFlowEndClosed,
		"mgr_checked": cMgrChecked, "mgr_timeout": cMgrTimeout,
		"syn": cTCPSyn, "synack": cTCPSynAck, "rst": cTCPRst, "sessions": cTCPSessions,
		"active_sessions": cTCPActive, "reassembly_gap": cTCPGap, "overlap": cTCPOverlap,
		"midstream": cTCPMidstream, "tcp_memuse": cTCPMemuse, "rules_loaded": cRulesLoaded,
		"alert": cDetectAlert, "alerts_suppressed": cAlertsSuppressed,
		"af_http": cFlowHTTP, "af_tls": cFlowTLS, "af_ssh": cFlowSSH, "af_smtp": cFlowSMTP, "af_ftp": cFlowFTP,
		"af_ntp": cFlowNTP, "af_dhcp": cFlowDHCP, "af_dns_udp": cFlowDNSUDP, "af_dns_tcp": cFlowDNSTCP,
		"af_quic": cFlowQUIC, "af_failed_tcp": cFlowFailedTCP, "af_failed_udp": cFlowFailedUDP,
		"tx_http": cTxHTTP, "tx_tls": cTxTLS, "tx_dns_udp": cTxDNSUDP, "tx_ntp": cTxNTP, "tx_smtp": cTxSMTP,
		"tx_ssh": cTxSSH, "memcap_pressure": cMemcapPressure, "last_reload": cLastReload,
	}
}

// statsTemplate is the body of a Suricata 7 stats record (totals: yes,
// threads: no, deltas: no) in the key order StatsToJSON writes, trimmed of
// rarely used decoder events. $name marks a live counter; "$last_reload" is a
// timestamp. The layout follows output-json-stats.c and etc/schema.json.
const statsTemplate = `{"uptime":$uptime,"capture":{"kernel_packets":$kernel_packets,"kernel_drops":$kernel_drops,"errors":0,` +
	`"afpacket":{"busy_loop_avg":0,"polls":$mgr_checked,"poll_signal":0,"poll_timeout":$mgr_timeout,"poll_data":$sessions,"poll_errors":0,"send_errors":0}},` +
	`"decoder":{"pkts":$pkts,"bytes":$bytes,"invalid":$invalid,"ipv4":$ipv4,"ipv6":$ipv6,"ethernet":$pkts,"arp":0,"unknown_ethertype":0,"chdlc":0,"raw":0,"null":0,"sll":0,` +
	`"tcp":$tcp,"udp":$udp,"sctp":0,"esp":0,"icmpv4":$icmpv4,"icmpv6":$icmpv6,"ppp":0,"pppoe":0,"geneve":0,"gre":0,"vlan":0,"vlan_qinq":0,"vlan_qinqinq":0,` +
	`"vxlan":0,"vntag":0,"ieee8021ah":0,"teredo":0,"ipv4_in_ipv6":0,"ipv6_in_ipv6":0,"mpls":0,"avg_pkt_size":$avg_pkt_size,"max_pkt_size":$max_pkt_size,` +
	`"max_mac_addrs_src":0,"max_mac_addrs_dst":0,"erspan":0,"nsh":0,"event":{"ipv4":{"pkt_too_small":0,"hlen_too_small":0,"iplen_smaller_than_hlen":0,` +
	`"trunc_pkt":$invalid,"opt_invalid":0,"opt_invalid_len":0,"opt_malformed":0,"opt_pad_required":0,"opt_eol_required":0,"opt_duplicate":0,"opt_unknown":0,` +
	`"wrong_ip_version":0,"icmpv6":0,"frag_pkt_too_large":0,"frag_overlap":0,"frag_ignored":0},"icmpv4":{"pkt_too_small":0,"unknown_type":0,"unknown_code":0,` +
	`"ipv4_trunc_pkt":0,"ipv4_unknown_ver":0},"icmpv6":{"unknown_type":0,"unknown_code":0,"pkt_too_small":0,"ipv6_unknown_version":0,"ipv6_trunc_pkt":0,` +
	`"mld_message_with_invalid_hl":0,"unassigned_type":0,"experimentation_type":0},"ipv6":{"pkt_too_small":0,"trunc_pkt":0,"trunc_exthdr":0,"exthdr_dupl_fh":0,` +
	`"exthdr_useless_fh":0,"exthdr_dupl_rh":0,"exthdr_dupl_hh":0,"exthdr_dupl_dh":0,"exthdr_dupl_ah":0,"exthdr_dupl_eh":0,"exthdr_invalid_optlen":0,` +
	`"wrong_ip_version":0,"exthdr_ah_res_not_null":0,"hopopts_unknown_opt":0,"hopopts_only_padding":0,"dstopts_unknown_opt":0,"dstopts_only_padding":0,` +
	`"rh_type_0":0,"zero_len_padn":0,"fh_non_zero_reserved_field":0,"data_after_none_header":0,"unknown_next_header":0,"icmpv4":0,"frag_pkt_too_large":0,` +
	`"frag_overlap":0,"frag_invalid_length":0,"frag_ignored":0,"ipv4_in_ipv6_too_small":0,"ipv4_in_ipv6_wrong_version":0,"ipv6_in_ipv6_too_small":0,` +
	`"ipv6_in_ipv6_wrong_version":0},"tcp":{"pkt_too_small":0,"hlen_too_small":0,"invalid_optlen":0,"opt_invalid_len":0,"opt_duplicate":0},` +
	`"udp":{"pkt_too_small":0,"hlen_too_small":0,"hlen_invalid":0,"len_invalid":0},"ethernet":{"pkt_too_small":0},"vlan":{"header_too_small":0,` +
	`"unknown_type":0,"too_many_layers":0}},"too_many_layers":0},` +
	`"tcp":{"syn":$syn,"synack":$synack,"rst":$rst,"active_sessions":$active_sessions,"sessions":$sessions,"ssn_memcap_drop":0,"ssn_from_cache":0,` +
	`"ssn_from_pool":$sessions,"pseudo":0,"pseudo_failed":0,"invalid_checksum":0,"midstream_pickups":$midstream,"pkt_on_wrong_thread":0,"ack_unseen_data":0,` +
	`"segment_memcap_drop":0,"segment_from_cache":0,"segment_from_pool":$sessions,"stream_depth_reached":0,"reassembly_gap":$reassembly_gap,"overlap":$overlap,` +
	`"overlap_diff_data":0,"insert_data_normal_fail":0,"insert_data_overlap_fail":0,"memuse":$tcp_memuse,"reassembly_memuse":458752},` +
	`"flow":{"memcap":0,"total":$flow_total,"active":$flow_active,"tcp":$flow_tcp,"udp":$flow_udp,"icmpv4":$flow_icmpv4,"icmpv6":$flow_icmpv6,"tcp_reuse":0,` +
	`"get_used":0,"get_used_eval":0,"get_used_eval_reject":0,"get_used_eval_busy":0,"get_used_failed":0,"wrk":{"spare_sync_avg":100,"spare_sync":$uptime,` +
	`"spare_sync_incomplete":0,"spare_sync_empty":0,"flows_evicted_needs_work":0,"flows_evicted_pkt_inject":0,"flows_evicted":$mgr_timeout,"flows_injected":0,` +
	`"flows_injected_max":0},"end":{"state":{"new":$end_new,"established":$end_est,"closed":$end_closed,"local_bypassed":0,"capture_bypassed":0},` +
	`"tcp_state":{"none":0,"syn_sent":$end_new,"syn_recv":0,"established":$end_est,"fin_wait1":0,"fin_wait2":0,"time_wait":0,"last_ack":0,"close_wait":0,` +
	`"closing":0,"closed":$end_closed},"tcp_liberal":0},"mgr":{"full_hash_pass":$uptime,"rows_per_sec":6553,"rows_maxlen":1,"flows_checked":$mgr_checked,` +
	`"flows_notimeout":$flow_active,"flows_timeout":$mgr_timeout,"flows_evicted":$mgr_timeout,"flows_evicted_needs_work":0},"spare":$flow_spare,` +
	`"emerg_mode_entered":0,"emerg_mode_over":0,"recycler":{"recycled":$mgr_timeout,"queue_avg":0,"queue_max":4},"memuse":$flow_memuse},` +
	`"defrag":{"ipv4":{"fragments":0,"reassembled":0},"ipv6":{"fragments":0,"reassembled":0},"max_frag_hits":0},` +
	`"flow_bypassed":{"local_pkts":0,"local_bytes":0,"local_capture_pkts":0,"local_capture_bytes":0,"closed":0,"pkts":0,"bytes":0},` +
	`"detect":{"engines":[{"id":0,"last_reload":"$last_reload","rules_loaded":$rules_loaded,"rules_failed":0,"rules_skipped":0}],"alert":$alert,` +
	`"alert_queue_overflow":0,"alerts_suppressed":$alerts_suppressed},` +
	`"app_layer":{"flow":{"http":$af_http,"ftp":$af_ftp,"smtp":$af_smtp,"tls":$af_tls,"ssh":$af_ssh,"imap":0,"smb":0,"dcerpc_tcp":0,"dns_tcp":$af_dns_tcp,` +
	`"nfs_tcp":0,"ntp":$af_ntp,"ftp-data":0,"tftp":0,"ike":0,"krb5_tcp":0,"quic":$af_quic,"dhcp":$af_dhcp,"snmp":0,"sip":0,"rfb":0,"mqtt":0,"telnet":0,` +
	`"rdp":0,"http2":0,"bittorrent-dht":0,"failed_tcp":$af_failed_tcp,"dcerpc_udp":0,"dns_udp":$af_dns_udp,"nfs_udp":0,"krb5_udp":0,"failed_udp":$af_failed_udp},` +
	`"tx":{"http":$tx_http,"ftp":0,"smtp":$tx_smtp,"tls":$tx_tls,"ssh":$tx_ssh,"imap":0,"smb":0,"dcerpc_tcp":0,"dns_tcp":0,"nfs_tcp":0,"ntp":$tx_ntp,` +
	`"ftp-data":0,"tftp":0,"ike":0,"krb5_tcp":0,"quic":0,"dhcp":0,"snmp":0,"sip":0,"rfb":0,"mqtt":0,"telnet":0,"rdp":0,"http2":0,"bittorrent-dht":0,` +
	`"dcerpc_udp":0,"dns_udp":$tx_dns_udp,"nfs_udp":0,"krb5_udp":0},"expectations":0},"memcap_pressure":$memcap_pressure,"memcap_pressure_max":$memcap_pressure,` +
	`"http":{"memuse":0,"memcap":0},"ftp":{"memuse":0,"memcap":0},"file_store":{"open_files":0}}`

// statsWriter renders statsTemplate from a counter array. The template is
// split once into constant chunks and counter slots.
type statsWriter struct {
	chunks []string  // len(slots)+1 constant pieces
	slots  []counter // counter printed between chunks[i] and chunks[i+1]
}

func newStatsWriter() (*statsWriter, error) {
	names := counterNames()
	sw := &statsWriter{}
	rest := statsTemplate
	for {
		i := strings.IndexByte(rest, '$')
		if i < 0 {
			sw.chunks = append(sw.chunks, rest)
			return sw, nil
		}
		j := i + 1
		for j < len(rest) && (rest[j] == '_' || rest[j] >= 'a' && rest[j] <= 'z' || rest[j] >= '0' && rest[j] <= '9') {
			j++
		}
		c, ok := names[rest[i+1:j]]
		if !ok {
			return nil, fmt.Errorf("stats template: unknown counter %q", rest[i+1:j])
		}
		sw.chunks = append(sw.chunks, rest[:i])
		sw.slots = append(sw.slots, c)
		rest = rest[j:]
	}
}

func (sw *statsWriter) append(b []byte, v *[nCounters]int64, clk *clock) []byte {
	for i, c := range sw.slots {
		b = append(b, sw.chunks[i]...)
		if c == cLastReload {
			b = clk.append(b, v[c])
		} else {
			b = strconv.AppendInt(b, v[c], 10)
		}
	}
	return append(b, sw.chunks[len(sw.chunks)-1]...)
}
