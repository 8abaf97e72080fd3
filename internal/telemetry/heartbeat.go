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

	"github.com/suricron/suricron/internal/homenet"
	"github.com/suricron/suricron/internal/metrics"
	"github.com/suricron/suricron/internal/printable"
	"github.com/suricron/suricron/internal/redact"
	"github.com/suricron/suricron/internal/secretfile"
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
	deps.defaults()
	if err := checkEndpoint(cfg.Endpoint, cfg.AllowPlainHTTP); err != nil {
		return err
	}
	token, err := secretfile.Read(cfg.TokenFile)
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
		Sleep: deps.Sleep, Now: deps.Now, Log: deps.Logger}
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
	deps.Logger.Info("heartbeat sent")
	// The service's view of this sensor, so that cron mail shows a sensor
	// about to be (or already) disabled; best effort, never a failure.
	if si, err := fetchSensorInfo(ctx, cfg.Endpoint, token, cfg.Timeout, Retry{Attempts: 1}, cfg.Version, deps); err != nil {
		deps.Logger.Debug("sensor status not available", "err", redact.New(token).Error(err))
	} else {
		recordSensor(deps.Metrics, si, deps.Now())
		for _, f := range si.Findings(deps.Now(), 7, 48*time.Hour) {
			deps.Logger.Warn("telemetry sensor status: "+f, "status", si.Status, "disable_date", printable.String(si.DisableDate))
		}
	}
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
	Check               bool          // exit 1 on any finding of SensorInfo.Findings
	WarnDays            int           // a disable_date within this many days is a finding
	StaleAfter          time.Duration // an event_received older than this is a finding (0: off)
}

// RunStatus queries the sensor status and prints ACTIVE, DORMANT or
// DISABLED with its timestamps. Any failure, or a status outside those
// three, is an error.
func RunStatus(ctx context.Context, cfg StatusConfig, deps Deps) (err error) {
	deps.defaults()
	if err := checkEndpoint(cfg.Endpoint, cfg.AllowPlainHTTP); err != nil {
		return err
	}
	token, err := secretfile.Read(cfg.TokenFile)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	defer func() { err = redact.New(token).Error(err) }()
	si, err := fetchSensorInfo(ctx, cfg.Endpoint, token, cfg.Timeout, cfg.Retry, cfg.Version, deps)
	if err != nil {
		return err
	}
	findings := si.Findings(deps.Now(), cfg.WarnDays, cfg.StaleAfter)
	recordSensor(deps.Metrics, si, deps.Now())
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	fmt.Fprintf(deps.Stdout, "%s\nsensor_id: %v\nlast_event: %s\nlast_heartbeat: %s\nlast_rule_download: %s\ncreated: %s\ndisable_date: %s\n",
		si.Status, si.SensorID, dash(si.EventReceived), dash(si.LastHeartbeat), dash(si.LastRuleDownload), dash(si.Created), dash(si.DisableDate))
	for _, f := range findings {
		fmt.Fprintf(deps.Stdout, "warning: %s\n", f)
	}
	if cfg.Check && len(findings) > 0 {
		return fmt.Errorf("status check failed: %s", strings.Join(findings, "; "))
	}
	return nil
}

// fetchSensorInfo GETs /api/v1/sensorinfo. Any failure, or a status
// outside ACTIVE/DORMANT/DISABLED, is an error.
func fetchSensorInfo(ctx context.Context, endpoint, token string, timeout time.Duration, retry Retry, version string, deps Deps) (*SensorInfo, error) {
	client := deps.HTTP
	if client == nil {
		client = NewHTTPClient(timeout, 1)
	}
	up := &Uploader{Client: client, Token: token, Retry: retry, UserAgent: "suricron/" + version,
		Sleep: deps.Sleep, Now: deps.Now, Log: deps.Logger}
	url := strings.TrimRight(endpoint, "/") + PathSensorInfo
	body, err := up.send(ctx, func() (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	}, func(code int) bool { return code == http.StatusOK })
	var rej *rejectedError
	if errors.As(err, &rej) {
		return nil, fmt.Errorf("status: HTTP %d from %s", rej.status, url)
	}
	if err != nil {
		return nil, classify(ctx, err)
	}
	var si SensorInfo
	if err := json.Unmarshal(body, &si); err != nil {
		return nil, fmt.Errorf("status: answer from %s is not JSON: %w", url, err)
	}
	switch si.Status {
	case "ACTIVE", "DORMANT", "DISABLED":
	default:
		return nil, fmt.Errorf("status: unexpected sensor_status %q from %s", printable.String(si.Status), url)
	}
	return &si, nil
}

// parseServiceTime reads the service's timestamps (RFC 3339, or the
// space-separated form some answers use).
func parseServiceTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Findings lists what an operator must act on: a sensor that is not
// ACTIVE (DORMANT sensors get no ET Pro rules; OPNsense users saw sensors
// disabled after about five days without events), a disable_date within
// warnDays, an event_received older than staleAfter.
func (si *SensorInfo) Findings(now time.Time, warnDays int, staleAfter time.Duration) []string {
	var out []string
	if si.Status != "ACTIVE" {
		out = append(out, "sensor is "+si.Status)
	}
	if t, ok := parseServiceTime(si.DisableDate); ok && si.Status != "DISABLED" && t.Before(now.Add(time.Duration(warnDays)*24*time.Hour)) {
		out = append(out, fmt.Sprintf("disable_date %s is within %d days", t.UTC().Format(time.RFC3339), warnDays))
	}
	if staleAfter > 0 {
		if t, ok := parseServiceTime(si.EventReceived); !ok {
			out = append(out, "the service has received no event")
		} else if age := now.Sub(t); age > staleAfter {
			out = append(out, fmt.Sprintf("last event received %s ago (over %s)", age.Round(time.Minute), staleAfter))
		}
	}
	return out
}

// recordSensor exposes the status for alerting (node_exporter textfile).
func recordSensor(m *metrics.Registry, si *SensorInfo, now time.Time) {
	for _, st := range []string{"ACTIVE", "DORMANT", "DISABLED"} {
		v := 0.0
		if si.Status == st {
			v = 1
		}
		m.Set("suricron_telemetry_sensor_status", "1 for the sensor's current ET telemetry status.", v, metrics.Label{Name: "status", Value: st})
	}
	if t, ok := parseServiceTime(si.DisableDate); ok {
		m.Set("suricron_telemetry_sensor_disable_date_seconds", "The service's disable_date of this sensor (Unix time).", float64(t.Unix()))
	}
	if t, ok := parseServiceTime(si.EventReceived); ok {
		m.Set("suricron_telemetry_sensor_event_received_age_seconds", "Age of the last event the service received.", now.Sub(t).Seconds())
	}
}
