package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/cli"
	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/metrics"
)

func TestStatus(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantCode int
		wantOut  string
	}{
		{"active", 200, `{"sensorId":42,"sensor_status":"ACTIVE","last_heartbeat":"2025-01-15T15:18:21+00:00","event_received":"2025-01-15T15:00:00+00:00","created":"2024-01-01T00:00:00+00:00"}`,
			0, "ACTIVE\nsensor_id: 42\nlast_event: 2025-01-15T15:00:00+00:00\nlast_heartbeat: 2025-01-15T15:18:21+00:00\nlast_rule_download: -\ncreated: 2024-01-01T00:00:00+00:00\ndisable_date: -\n"},
		{"disabled", 200, `{"sensor_status":"DISABLED","disable_date":"2025-01-20T00:00:00+00:00"}`, 0, "DISABLED\n"},
		{"unknown status", 200, `{"sensor_status":"weird"}`, exitcode.ExitFailure, ""},
		{"not json", 200, `<html>`, exitcode.ExitFailure, ""},
		{"token refused", 401, ``, exitcode.ExitUsage, ""},
		{"server down", 503, ``, exitcode.ExitTempFail, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 0)
			srv := newFaultServer(t, 200, func(n int, w http.ResponseWriter, r *http.Request) bool {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
				return true
			})
			var sl sleeps
			var logs, out bytes.Buffer
			deps := testDeps(srv, time.Second, &sl, &logs)
			deps.Stdout = &out
			err := RunStatus(context.Background(), StatusConfig{Endpoint: srv.URL, TokenFile: f.token, Timeout: time.Second,
				Retry: Retry{Attempts: 2, Base: time.Millisecond, Max: time.Millisecond}}, deps)
			if got := cli.ExitCode(err); got != tt.wantCode {
				t.Fatalf("exit %d (%v), want %d", got, err, tt.wantCode)
			}
			if !strings.HasPrefix(out.String(), tt.wantOut) {
				t.Errorf("output %q, want prefix %q", out.String(), tt.wantOut)
			}
			r := srv.requests()[0]
			if r.method != http.MethodGet || r.path != PathSensorInfo || r.header.Get("Authorization") != "Bearer "+testToken {
				t.Errorf("request %s %s auth %q", r.method, r.path, r.header.Get("Authorization"))
			}
			if err != nil && strings.Contains(err.Error(), testToken) {
				t.Error("token in error")
			}
		})
	}
}

func TestHeartbeat(t *testing.T) {
	f := newFixture(t, 0)
	dir := f.dir
	files := map[string]string{
		"rules":     "alert tcp any any -> any any (msg:\"a\"; sid:2000001; rev:1;)\n# alert tcp any any -> any any (msg:\"b\"; sid:2000002; rev:1;)\nalert udp any any -> any any (msg:\"c\"; sid:3; rev:1;)\n",
		"ver.json":  "#@opnsense_download_hash:abc\n{\"version\": \"20250101\"}\n",
		"stats.log": "------\nCounter | TM Name | Value\n------\ndecoder.pkts | Total | 5\n------\ncapture.kernel_packets | Total | 100\ndetect.alert | Total | 7\n",
		"s.yaml":    "af-packet:\n  - interface: eth0\n    copy-mode: ips\n",
		"pid":       "999999999\n",
	}
	for name, s := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(f.state, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeLastSend(f.state, LastSend{Time: "2025-01-01T00:00:00Z", Result: "ok", Accepted: 3, Protocol: "etpro"}); err != nil {
		t.Fatal(err)
	}
	srv := newFaultServer(t, 201, nil)
	var sl sleeps
	var logs bytes.Buffer
	deps := testDeps(srv, time.Second, &sl, &logs)
	deps.Now = func() time.Time { return time.Unix(1700000000, 0) }
	err := RunHeartbeat(context.Background(), HeartbeatConfig{
		Endpoint: srv.URL, TokenFile: f.token, StateDir: f.state, SIDsFile: f.sids,
		SuricataCommand: filepath.Join(dir, "no-such-suricata"), PIDFile: filepath.Join(dir, "pid"),
		RulesetVersionFile: filepath.Join(dir, "ver.json"), RulesFile: filepath.Join(dir, "rules"),
		SuricataYAML: filepath.Join(dir, "s.yaml"), StatsLog: filepath.Join(dir, "stats.log"),
		Timeout: time.Second, Retry: Retry{Attempts: 1}, Version: "1.2.3",
	}, deps)
	if err != nil {
		t.Fatal(err)
	}
	r := srv.requests()[0]
	if r.path != PathHeartbeat || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("request %s %v", r.path, r.header)
	}
	var got map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"software_version": "suricron 1.2.3", "suricata_version": "NOTFOUND", "suricata_status": "Stopped",
		"system_time": 1700000000.0, "ruleset_version": "20250101", "total_enabled_rules": 2.0,
		"total_enabled_telemetry_rules": 1.0, "mode": "IPS", "suricron_version": "1.2.3",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	stats := got["log_stats"].(map[string]any)
	if stats["capture.kernel_packets"] != 100.0 || stats["detect.alert"] != 7.0 || stats["decoder.pkts"] != nil {
		t.Errorf("log_stats = %v (only the last block counts)", stats)
	}
	if ls := got["last_send"].(map[string]any); ls["accepted"] != 3.0 {
		t.Errorf("last_send = %v", ls)
	}
	if !strings.HasPrefix(string(r.body), `{"software_version":`) {
		t.Errorf("plugin field order lost: %s", r.body)
	}
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestErrorTextLeavesMasked: a resolver error names the local DNS server
// ("lookup … on 10.255.255.53:53"); last_send.error in the state file and
// in the heartbeat carries it masked, also when an older version wrote the
// state file unmasked.
func TestErrorTextLeavesMasked(t *testing.T) {
	f := newFixture(t, 3)
	srv := newFaultServer(t, 201, nil)
	cfg := f.config(srv, ProtoETPro)
	cfg.Retry.Attempts = 1
	var sl sleeps
	var logs bytes.Buffer
	deps := testDeps(srv, time.Second, &sl, &logs)
	deps.HTTP = &http.Client{Transport: rtFunc(func(*http.Request) (*http.Response, error) {
		return nil, &net.DNSError{Err: "no such host", Name: "collector.example", Server: "10.255.255.53:53", IsNotFound: true}
	})}
	if err := Run(context.Background(), cfg, deps); err == nil {
		t.Fatal("Run succeeded without a network")
	}
	ls, err := ReadLastSend(f.state)
	if err != nil || ls == nil {
		t.Fatalf("last send %v, %v", ls, err)
	}
	if strings.Contains(ls.Error, "10.255.255.53") || !strings.Contains(ls.Error, "on xxx.xxx.xxx.53:53") {
		t.Errorf("last_send.error = %q, want the resolver masked", ls.Error)
	}
	// An older version's unmasked file: the heartbeat masks it itself.
	ls.Error = "POST https://c.example/api/v1/event: dial tcp: lookup c.example on [fd00::53]:53 via 192.168.7.1: no such host"
	if err := writeLastSend(f.state, *ls); err != nil {
		t.Fatal(err)
	}
	if err := RunHeartbeat(context.Background(), HeartbeatConfig{Endpoint: srv.URL, TokenFile: f.token, StateDir: f.state,
		Timeout: time.Second, Retry: Retry{Attempts: 1}}, testDeps(srv, time.Second, &sl, &logs)); err != nil {
		t.Fatal(err)
	}
	body := string(srv.requests()[0].body)
	if strings.Contains(body, "192.168.7.1") || strings.Contains(body, "fd00::53") || !strings.Contains(body, "via xxx.xxx.xxx.1") {
		t.Errorf("heartbeat carries a local address: %s", body)
	}
}

// TestStatusCheck: status --check exits 1 for DORMANT or DISABLED, a near
// disable_date or a stale event_received; the status is in the metrics; a
// heartbeat run warns about the same findings.
func TestStatusCheck(t *testing.T) {
	now := time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, body string
		fails      bool
		warn       string
	}{
		{"active and fresh", `{"sensor_status":"ACTIVE","event_received":"2025-01-15T11:00:00+00:00","disable_date":"2025-06-01T00:00:00+00:00"}`, false, ""},
		{"dormant", `{"sensor_status":"DORMANT","event_received":"2025-01-15T11:00:00+00:00"}`, true, "sensor is DORMANT"},
		{"disabled", `{"sensor_status":"DISABLED","event_received":"2025-01-15T11:00:00+00:00","disable_date":"2025-01-14T00:00:00+00:00"}`, true, "sensor is DISABLED"},
		{"disable date near", `{"sensor_status":"ACTIVE","event_received":"2025-01-15T11:00:00+00:00","disable_date":"2025-01-18 00:00:00+00:00"}`, true, "disable_date 2025-01-18T00:00:00Z is within 7 days"},
		{"stale events", `{"sensor_status":"ACTIVE","event_received":"2025-01-10T11:00:00+00:00"}`, true, "last event received 121h0m0s ago"},
		{"no event ever", `{"sensor_status":"ACTIVE"}`, true, "the service has received no event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 0)
			srv := newFaultServer(t, 201, func(n int, w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path == PathSensorInfo {
					_, _ = w.Write([]byte(tt.body))
					return true
				}
				return false
			})
			for _, check := range []bool{false, true} {
				var sl sleeps
				var logs, out bytes.Buffer
				deps := testDeps(srv, time.Second, &sl, &logs)
				deps.Stdout, deps.Now = &out, func() time.Time { return now }
				deps.Metrics = metrics.New()
				err := RunStatus(context.Background(), StatusConfig{Endpoint: srv.URL, TokenFile: f.token, Retry: Retry{Attempts: 1},
					Check: check, WarnDays: 7, StaleAfter: 48 * time.Hour}, deps)
				if want := check && tt.fails; (err != nil) != want || err != nil && cli.ExitCode(err) != exitcode.ExitFailure {
					t.Errorf("check=%v: err %v (exit %d), want failure %v", check, err, cli.ExitCode(err), want)
				}
				if tt.warn != "" && !strings.Contains(out.String(), "warning: "+tt.warn) {
					t.Errorf("check=%v: output lacks %q:\n%s", check, tt.warn, out.String())
				}
				var st struct {
					Status string `json:"sensor_status"`
				}
				_ = json.Unmarshal([]byte(tt.body), &st)
				if v, ok := deps.Metrics.Value("suricron_telemetry_sensor_status", metrics.Label{Name: "status", Value: st.Status}); !ok || v != 1 {
					t.Errorf("metric status{%s} = %v, %v", st.Status, v, ok)
				}
			}
			// The heartbeat run warns about the same finding.
			var sl sleeps
			var logs bytes.Buffer
			deps := testDeps(srv, time.Second, &sl, &logs)
			deps.Now = func() time.Time { return now }
			if err := RunHeartbeat(context.Background(), HeartbeatConfig{Endpoint: srv.URL, TokenFile: f.token, StateDir: f.state,
				Retry: Retry{Attempts: 1}}, deps); err != nil {
				t.Fatal(err)
			}
			warned := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), tt.warn)
			if warned != (tt.warn != "") {
				t.Errorf("heartbeat warning = %v, want %v:\n%s", warned, tt.warn != "", logs.String())
			}
		})
	}
}
