package telemetry

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/suricron/suricron/internal/cli"
	"github.com/suricron/suricron/internal/homenet"
	"github.com/suricron/suricron/internal/redact"
)

// HeartbeatConfig names the sources of the plugin's health fields.
type HeartbeatConfig struct {
	Endpoint, TokenFile, StateDir string
	SIDsFile                      string
	SuricataCommand               string // run with -V for the version
	PIDFile                       string
	RulesetVersionFile            string
	RulesFile                     string
	SuricataYAML                  string
	StatsLog                      string
	Timeout                       time.Duration
	Retry                         Retry
	Version                       string
	AllowPlainHTTP                bool
}

// heartbeat is the POST body: the plugin's nine fields in its order
// (research/telemetry.md §4.1) plus ours.
type heartbeat struct {
	SoftwareVersion    string         `json:"software_version"`
	SuricataVersion    string         `json:"suricata_version"`
	SuricataStatus     string         `json:"suricata_status"`
	SystemTime         int64          `json:"system_time"`
	RulesetVersion     any            `json:"ruleset_version"`
	TotalEnabledRules  int            `json:"total_enabled_rules"`
	TotalTelemetryRule int            `json:"total_enabled_telemetry_rules"`
	Mode               string         `json:"mode"`
	LogStats           map[string]any `json:"log_stats"`
	SuricronVersion    string         `json:"suricron_version"`
	LastSend           *LastSend      `json:"last_send"`
}

// notFound mirrors the plugin: "NOTFOUND" for a missing source, "ERROR"
// for any other failure.
func notFound(err error) string {
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, exec.ErrNotFound) {
		return "NOTFOUND"
	}
	return "ERROR"
}

// RunHeartbeat posts sensor health to /api/v1/telemetry.
func RunHeartbeat(ctx context.Context, cfg HeartbeatConfig, deps Deps) (err error) {
	deps.fill()
	if err := checkEndpoint(cfg.Endpoint, cfg.AllowPlainHTTP); err != nil {
		return err
	}
	token, err := cli.ReadSecret(cfg.TokenFile)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	defer func() { err = redact.New(token).Error(err) }()
	hb := heartbeat{
		SoftwareVersion: "suricron " + cfg.Version, SuricronVersion: cfg.Version,
		SystemTime: deps.Now().Unix(), Mode: "IDS", LogStats: map[string]any{},
	}
	hb.SuricataVersion = suricataVersion(ctx, cfg.SuricataCommand)
	hb.SuricataStatus = pidStatus(cfg.PIDFile)
	hb.RulesetVersion = rulesetVersion(cfg.RulesetVersionFile)
	var sids SIDSet
	if cfg.SIDsFile != "" {
		sids, _ = LoadSIDs(cfg.SIDsFile) // absence shows as 0 telemetry rules
	}
	hb.TotalEnabledRules, hb.TotalTelemetryRule = countRules(cfg.RulesFile, sids)
	if inlineMode(cfg.SuricataYAML) {
		hb.Mode = "IPS"
	}
	if st, err := lastStats(cfg.StatsLog); err == nil {
		hb.LogStats = st
	}
	sec := redact.New(token)
	if ls, err := ReadLastSend(cfg.StateDir); err == nil {
		if ls != nil && ls.Error != "" {
			// Written masked by send; masked again here because the file
			// may come from an older version or another local set.
			ls.Error = scrubText(sec.String(ls.Error), heartbeatLocal(cfg, deps))
		}
		hb.LastSend = ls
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(hb); err != nil {
		return err
	}
	client := deps.HTTP
	if client == nil {
		client = NewHTTPClient(cfg.Timeout, 1)
	}
	up := &Uploader{Client: client, Token: token, Retry: cfg.Retry, UserAgent: "suricron/" + cfg.Version,
		Sleep: deps.Sleep, Now: deps.Now, Log: deps.Log}
	url := strings.TrimRight(cfg.Endpoint, "/") + PathHeartbeat
	b := bytes.TrimSuffix(body.Bytes(), []byte("\n"))
	_, err = up.send(ctx, func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}, func(code int) bool { return code >= 200 && code < 300 })
	var rej *rejectedError
	if errors.As(err, &rej) {
		return fmt.Errorf("heartbeat refused: HTTP %d", rej.status)
	}
	if err != nil {
		return classify(ctx, err)
	}
	deps.Log.Info("heartbeat sent")
	return nil
}

// heartbeatLocal is the local set used to mask text in the heartbeat:
// HOME_NET of suricata.yaml and the interfaces when they can be read, and
// the private ranges always.
func heartbeatLocal(cfg HeartbeatConfig, deps Deps) Locality {
	opts := homenet.Options{SuricataYAML: cfg.SuricataYAML}
	if ifs, err := deps.Interfaces(); err == nil {
		opts.Interfaces = ifs
	}
	if set, err := homenet.NewSet(opts); err == nil {
		return set
	}
	opts.SuricataYAML = ""
	set, _ := homenet.NewSet(opts) // cannot fail without an expression
	return set
}

func suricataVersion(ctx context.Context, command string) string {
	if command == "" {
		return "NOTFOUND"
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, command, "-V").Output()
	if err != nil {
		return notFound(err)
	}
	s := strings.TrimSpace(string(out))
	if _, v, ok := strings.Cut(s, " version "); ok {
		return strings.TrimSpace(v)
	}
	return "ERROR"
}

func pidStatus(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "Stopped"
		}
		return "ERROR"
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return "ERROR"
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return "Stopped"
	}
	return "Running"
}

// rulesetVersion reads "version" of telemetry_version.json; null if absent.
func rulesetVersion(path string) any {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return "ERROR"
	}
	// OPNsense prepends a "#@opnsense_download_hash" line.
	if bytes.HasPrefix(b, []byte("#")) {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	var v struct {
		Version any `json:"version"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return "ERROR"
	}
	return v.Version
}

var sidRe = regexp.MustCompile(`[;(\s]sid\s*:\s*(\d+)\s*;`)

// countRules counts enabled rules (uncommented lines with a sid) and those
// whose sid is in the telemetry list.
func countRules(path string, sids SIDSet) (total, telemetry int) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		m := sidRe.FindSubmatch(line)
		if m == nil {
			continue
		}
		total++
		if n, err := strconv.ParseUint(string(m[1]), 10, 64); err == nil {
			if _, ok := sids[n]; ok {
				telemetry++
			}
		}
	}
	return total, telemetry
}

var inlineRe = regexp.MustCompile(`(?m)^\s*(inline:\s*(true|yes)|copy-mode:\s*ips)\s*(#.*)?$`)

func inlineMode(yamlPath string) bool {
	if yamlPath == "" {
		return false
	}
	b, err := os.ReadFile(yamlPath)
	return err == nil && inlineRe.Match(b)
}

// statsKeys are the counters the plugin reports from stats.log.
var statsKeys = []string{"capture.kernel_packets", "decoder.pkts", "decoder.bytes", "decoder.ipv4", "decoder.ipv6", "flow.tcp", "flow.udp", "detect.alert"}

// lastStats reads the last block of Suricata's stats.log (after the last
// "-----" separator line): "counter | thread | value".
func lastStats(path string) (map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The last block is at the end; read at most the last 1 MiB.
	if st, err := f.Stat(); err == nil && st.Size() > 1<<20 {
		if _, err := f.Seek(-(1 << 20), io.SeekEnd); err != nil {
			return nil, err
		}
	}
	var block []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "-----") {
			block = block[:0]
			continue
		}
		block = append(block, line)
	}
	vals := map[string]any{}
	for _, k := range statsKeys {
		vals[k] = nil
	}
	for _, line := range block {
		parts := strings.Split(line, "|")
		if len(parts) != 3 {
			continue
		}
		k := strings.TrimSpace(parts[0])
		if _, want := vals[k]; !want {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(parts[2]), 10, 64); err == nil {
			vals[k] = n
		}
	}
	return vals, sc.Err()
}

// SensorInfo is the service's answer to GET /api/v1/sensorinfo.
type SensorInfo struct {
	SensorID         any    `json:"sensorId"`
	Status           string `json:"sensor_status"`
	LastHeartbeat    string `json:"last_heartbeat"`
	LastRuleDownload string `json:"last_rule_download"`
	EventReceived    string `json:"event_received"`
	Created          string `json:"created"`
	DisableDate      string `json:"disable_date"`
}

// StatusConfig configures telemetry-send status.
type StatusConfig struct {
	Endpoint, TokenFile string
	Timeout             time.Duration
	Retry               Retry
	Version             string
	AllowPlainHTTP      bool
}

// RunStatus queries the sensor status and prints ACTIVE, DORMANT or
// DISABLED with its timestamps. Any failure, or a status outside those
// three, is an error.
func RunStatus(ctx context.Context, cfg StatusConfig, deps Deps) (err error) {
	deps.fill()
	if err := checkEndpoint(cfg.Endpoint, cfg.AllowPlainHTTP); err != nil {
		return err
	}
	token, err := cli.ReadSecret(cfg.TokenFile)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	defer func() { err = redact.New(token).Error(err) }()
	client := deps.HTTP
	if client == nil {
		client = NewHTTPClient(cfg.Timeout, 1)
	}
	up := &Uploader{Client: client, Token: token, Retry: cfg.Retry, UserAgent: "suricron/" + cfg.Version,
		Sleep: deps.Sleep, Now: deps.Now, Log: deps.Log}
	url := strings.TrimRight(cfg.Endpoint, "/") + PathSensorInfo
	body, err := up.send(ctx, func() (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	}, func(code int) bool { return code == http.StatusOK })
	var rej *rejectedError
	if errors.As(err, &rej) {
		return fmt.Errorf("status: HTTP %d from %s", rej.status, url)
	}
	if err != nil {
		return classify(ctx, err)
	}
	var si SensorInfo
	if err := json.Unmarshal(body, &si); err != nil {
		return fmt.Errorf("status: answer from %s is not JSON: %w", url, err)
	}
	switch si.Status {
	case "ACTIVE", "DORMANT", "DISABLED":
	default:
		return fmt.Errorf("status: unexpected sensor_status %q from %s", si.Status, url)
	}
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	fmt.Fprintf(deps.Stdout, "%s\nsensor_id: %v\nlast_event: %s\nlast_heartbeat: %s\nlast_rule_download: %s\ncreated: %s\ndisable_date: %s\n",
		si.Status, si.SensorID, dash(si.EventReceived), dash(si.LastHeartbeat), dash(si.LastRuleDownload), dash(si.Created), dash(si.DisableDate))
	return nil
}
