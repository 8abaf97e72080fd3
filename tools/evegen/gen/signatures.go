package gen

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
)

// signatureRules holds ~85 real ET Open rules (see the header of the file for
// source and licence). Alerts are drawn from them so that sids, revisions,
// messages, classtypes and metadata are exactly what a sensor running ET Open
// would log, and the same text becomes the demo rules tarball.
//
//go:embed signatures.rules
var signatureRules string

// Classtype is one line of classification.config: the alert category is its
// description and the alert severity its priority.
type Classtype struct {
	Name        string
	Description string
	Priority    int
}

// classtypes is the ET Open classification.config (same source as
// signatures.rules), kept as a table because every alert needs a lookup.
func classtypes() []Classtype {
	return []Classtype{
		{"not-suspicious", "Not Suspicious Traffic", 3},
		{"unknown", "Unknown Traffic", 3},
		{"bad-unknown", "Potentially Bad Traffic", 2},
		{"attempted-recon", "Attempted Information Leak", 2},
		{"successful-recon-limited", "Information Leak", 2},
		{"successful-recon-largescale", "Large Scale Information Leak", 2},
		{"attempted-dos", "Attempted Denial of Service", 2},
		{"successful-dos", "Denial of Service", 2},
		{"attempted-user", "Attempted User Privilege Gain", 1},
		{"unsuccessful-user", "Unsuccessful User Privilege Gain", 1},
		{"successful-user", "Successful User Privilege Gain", 1},
		{"attempted-admin", "Attempted Administrator Privilege Gain", 1},
		{"successful-admin", "Successful Administrator Privilege Gain", 1},
		{"rpc-portmap-decode", "Decode of an RPC Query", 2},
		{"shellcode-detect", "Executable code was detected", 1},
		{"string-detect", "A suspicious string was detected", 3},
		{"suspicious-filename-detect", "A suspicious filename was detected", 2},
		{"suspicious-login", "An attempted login using a suspicious username was detected", 2},
		{"system-call-detect", "A system call was detected", 2},
		{"tcp-connection", "A TCP connection was detected", 4},
		{"trojan-activity", "A Network Trojan was detected", 1},
		{"unusual-client-port-connection", "A client was using an unusual port", 2},
		{"network-scan", "Detection of a Network Scan", 3},
		{"denial-of-service", "Detection of a Denial of Service Attack", 2},
		{"non-standard-protocol", "Detection of a non-standard protocol or event", 2},
		{"protocol-command-decode", "Generic Protocol Command Decode", 3},
		{"web-application-activity", "access to a potentially vulnerable web application", 2},
		{"web-application-attack", "Web Application Attack", 1},
		{"misc-activity", "Misc activity", 3},
		{"misc-attack", "Misc Attack", 2},
		{"icmp-event", "Generic ICMP event", 3},
		{"policy-violation", "Potential Corporate Privacy Violation", 1},
		{"default-login-attempt", "Attempt to login by a default username and password", 2},
		{"targeted-activity", "Targeted Malicious Activity was Detected", 1},
		{"exploit-kit", "Exploit Kit Activity Detected", 1},
		{"external-ip-check", "Device Retrieving External IP Address Detected", 2},
		{"domain-c2", "Domain Observed Used for C2 Detected", 1},
		{"pup-activity", "Possibly Unwanted Program Detected", 2},
		{"credential-theft", "Successful Credential Theft Detected", 1},
		{"social-engineering", "Possible Social Engineering Attempted", 2},
		{"coin-mining", "Crypto Currency Mining Activity Detected", 2},
		{"command-and-control", "Malware Command and Control Activity Detected", 1},
	}
}

// MetaPair is one rule metadata key with its values in rule order; Suricata
// logs it as alert.metadata {"key":["v1","v2"]}.
type MetaPair struct {
	Key    string
	Values []string
}

// Signature is one embedded rule, parsed into what the generator and the
// tests of other packages need.
type Signature struct {
	SID       int
	Rev       int
	GID       int
	Msg       string
	Classtype string
	Category  string // classification description, as in alert.category
	Severity  int    // classification priority, as in alert.severity
	Metadata  []MetaPair
	File      string // file of the ET tarball the rule came from, e.g. emerging-scan.rules
	Rule      string // the full rule text

	// Header fields used to give alerts a plausible 5-tuple.
	Proto    string // rule protocol keyword: tcp, udp, http, tls, dns, icmp, ip, ...
	SrcHome  bool   // source is a HOME_NET-like variable
	DstHome  bool   // destination is a HOME_NET-like variable
	DstPort  string // rule destination port expression
	ToClient bool   // rule matches server-to-client packets
	Hint     string // first printable content match; used for hostnames and user agents
	Buffer   string // sticky buffer that Hint was found under (dns.query, http.user_agent, ...)
}

// Signatures parses the embedded rules. It panics on a parse error because
// the input is a constant checked by the tests.
func Signatures() []Signature {
	sigs, err := parseRules(signatureRules)
	if err != nil {
		panic(err)
	}
	return sigs
}

func parseRules(text string) ([]Signature, error) {
	classes := map[string]Classtype{}
	for _, c := range classtypes() {
		classes[c.Name] = c
	}
	var sigs []Signature
	file := ""
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if name, ok := strings.CutPrefix(line, "# file: "); ok {
			file = name
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := ParseRule(line)
		if err != nil {
			return nil, fmt.Errorf("signatures.rules:%d: %w", n+1, err)
		}
		c, ok := classes[s.Classtype]
		if !ok {
			return nil, fmt.Errorf("signatures.rules:%d: unknown classtype %q", n+1, s.Classtype)
		}
		s.Category, s.Severity, s.File = c.Description, c.Priority, file
		sigs = append(sigs, s)
	}
	return sigs, nil
}

// ParseRule parses one Suricata rule line far enough for evegen and its
// tests: header, msg, classtype, sid, rev, gid, metadata and the first
// content. It is not a validating rule parser.
func ParseRule(line string) (Signature, error) {
	s := Signature{Rule: line, GID: 1}
	open := strings.IndexByte(line, '(')
	if open < 0 || !strings.HasSuffix(line, ")") {
		return s, fmt.Errorf("no option list in %.60q", line)
	}
	head := strings.Fields(line[:open])
	if len(head) != 7 || (head[4] != "->" && head[4] != "<>") {
		return s, fmt.Errorf("bad header %q", line[:open])
	}
	s.Proto = head[1]
	s.SrcHome = isHomeVar(head[2])
	s.DstHome = isHomeVar(head[5])
	s.DstPort = head[6]
	buffer := ""
	for _, opt := range splitOptions(line[open+1 : len(line)-1]) {
		key, val, _ := strings.Cut(opt, ":")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		var err error
		switch key {
		case "msg":
			s.Msg, err = unquoteRuleString(val)
		case "classtype":
			s.Classtype = val
		case "sid":
			s.SID, err = strconv.Atoi(val)
		case "rev":
			s.Rev, err = strconv.Atoi(val)
		case "gid":
			s.GID, err = strconv.Atoi(val)
		case "metadata":
			s.Metadata = parseMetadata(val)
		case "flow":
			s.ToClient = strings.Contains(val, "to_client") || strings.Contains(val, "from_server")
		case "content":
			if s.Hint == "" && !strings.HasPrefix(val, "!") {
				if h, e := unquoteRuleString(val); e == nil {
					s.Hint, s.Buffer = printable(h), buffer
				}
			}
		default:
			if val == "" && strings.Contains(key, ".") {
				buffer = key // sticky buffer such as dns.query or http.user_agent
			}
		}
		if err != nil {
			return s, fmt.Errorf("option %s: %w", key, err)
		}
	}
	switch {
	case s.Msg == "":
		return s, fmt.Errorf("rule without msg")
	case s.SID == 0:
		return s, fmt.Errorf("rule without sid")
	case s.Rev == 0:
		return s, fmt.Errorf("rule %d without rev", s.SID)
	case s.Classtype == "":
		return s, fmt.Errorf("rule %d without classtype", s.SID)
	}
	return s, nil
}

func isHomeVar(v string) bool {
	v = strings.TrimPrefix(v, "!")
	return v == "$HOME_NET" || (strings.HasSuffix(v, "_SERVERS") && strings.HasPrefix(v, "$"))
}

// splitOptions splits a rule body on ';' outside quotes, honouring the
// backslash escapes the rule language allows inside quoted strings.
func splitOptions(body string) []string {
	var opts []string
	inQuote, esc, startIdx := false, false, 0
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case c == '"':
			inQuote = !inQuote
		case c == ';' && !inQuote:
			if o := strings.TrimSpace(body[startIdx:i]); o != "" {
				opts = append(opts, o)
			}
			startIdx = i + 1
		}
	}
	if o := strings.TrimSpace(body[startIdx:]); o != "" {
		opts = append(opts, o)
	}
	return opts
}

// unquoteRuleString removes the quotes and backslash escapes of a rule string
// and decodes |hex| byte runs.
func unquoteRuleString(v string) (string, error) {
	if len(v) < 2 || v[0] != '"' {
		return "", fmt.Errorf("not a quoted string: %.40q", v)
	}
	end := strings.LastIndexByte(v, '"')
	if end <= 0 {
		return "", fmt.Errorf("unterminated string: %.40q", v)
	}
	v = v[1:end]
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && i+1 < len(v):
			i++
			b.WriteByte(v[i])
		case c == '|':
			j := strings.IndexByte(v[i+1:], '|')
			if j < 0 {
				return "", fmt.Errorf("unterminated hex run")
			}
			for _, h := range strings.Fields(v[i+1 : i+1+j]) {
				x, err := strconv.ParseUint(h, 16, 8)
				if err != nil {
					return "", fmt.Errorf("bad hex %q", h)
				}
				b.WriteByte(byte(x))
			}
			i += j + 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// printable maps length-prefixed DNS labels and other control bytes to dots,
// so "|07|example|03|com" becomes ".example.com".
func printable(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '.'
		}
	}
	return string(b)
}

func parseMetadata(v string) []MetaPair {
	var out []MetaPair
	for _, kv := range strings.Split(v, ",") {
		f := strings.Fields(kv)
		if len(f) < 2 {
			continue
		}
		k, val := f[0], strings.Join(f[1:], " ")
		found := false
		for i := range out {
			if out[i].Key == k {
				out[i].Values = append(out[i].Values, val)
				found = true
			}
		}
		if !found {
			out = append(out, MetaPair{Key: k, Values: []string{val}})
		}
	}
	return out
}
