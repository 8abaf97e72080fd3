package digest

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/checkpoint"
	"github.com/suricron/suricron/internal/cli"
	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/notify"
	"github.com/suricron/suricron/internal/printable"
)

// hookReceiver is an in-process HTTPS webhook receiver. fail holds the
// answers before it accepts ("503", "429", "reset", "400 text"); after
// them it answers 200 to everything.
type hookReceiver struct {
	srv     *httptest.Server
	caFile  string
	urlFile string
	secret  string

	mu       sync.Mutex
	fail     []string
	got      []hookRequest // every request, failed or not
	accepted []hookRequest
}

type hookRequest struct {
	batch string
	body  []byte
}

func newHookReceiver(t *testing.T, fail ...string) *hookReceiver {
	t.Helper()
	r := &hookReceiver{fail: fail, secret: "T0001/B0002/s3cr3tHookToken"}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		hr := hookRequest{batch: req.Header.Get(notify.BatchHeader), body: body}
		r.mu.Lock()
		r.got = append(r.got, hr)
		step := "200"
		if len(r.fail) > 0 {
			step, r.fail = r.fail[0], r.fail[1:]
		}
		if step == "200" {
			r.accepted = append(r.accepted, hr)
		}
		r.mu.Unlock()
		code, text, _ := strings.Cut(step, " ")
		switch code {
		case "reset":
			if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
				c.Close()
			}
			return
		case "429":
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
		case "503":
			w.WriteHeader(503)
		case "400":
			w.WriteHeader(400)
		}
		io.WriteString(w, text)
	}))
	t.Cleanup(r.srv.Close)
	dir := t.TempDir()
	r.caFile = filepath.Join(dir, "ca.pem")
	os.WriteFile(r.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.srv.Certificate().Raw}), 0o644)
	r.urlFile = filepath.Join(dir, "url")
	os.WriteFile(r.urlFile, []byte(r.srv.URL+"/services/"+r.secret+"\n"), 0o600)
	return r
}

func (r *hookReceiver) snapshot() (got, accepted []hookRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookRequest(nil), r.got...), append([]hookRequest(nil), r.accepted...)
}

// recSender is a mail.Sender that records, or fails with err.
type recSender struct {
	mu    sync.Mutex
	err   error
	mails [][]byte
}

func (s *recSender) Send(_ context.Context, _ string, _ []string, msg []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.mails = append(s.mails, msg)
	return nil
}

func noSleep(context.Context, time.Duration) error { return nil }

func (e *env) deliverConfig(r *hookReceiver, format string, attempts int) Config {
	cfg := e.config()
	cfg.Deliver = Delivery{NoMail: true, WebhookURLFile: r.urlFile, WebhookFormat: format, WebhookCAFile: r.caFile,
		DeliverAttempts: attempts, HookTimeout: 10 * time.Second, sleep: noSleep}
	return cfg
}

// countAlerts returns how many alerts a payload says it carries.
func countAlerts(t *testing.T, format string, body []byte) int64 {
	t.Helper()
	if format == "json" {
		var d Document
		if err := json.Unmarshal(body, &d); err != nil {
			t.Fatalf("json payload: %v", err)
		}
		return d.Alerts
	}
	var n int64
	s := strings.ReplaceAll(string(body), `\\`, "")
	i := strings.Index(s, "covers all ")
	if i < 0 {
		t.Fatalf("%s payload without coverage line: %.300s", format, body)
	}
	fmt.Sscan(s[i+len("covers all "):], &n)
	return n
}

// TestWebhookFailsThenRecovers: each format, against a receiver that fails
// with 503, 429 and a reset connection before it accepts: the failed run
// exits 75 with the checkpoint where it was, the next run delivers the same
// batch under the same id, and the receiver accepts every alert once.
func TestWebhookFailsThenRecovers(t *testing.T) {
	for _, format := range []string{"slack", "teams", "mattermost", "json"} {
		t.Run(format, func(t *testing.T) {
			e := newEnv(t)
			r := newHookReceiver(t, "503 upstream busy", "429", "reset")
			appendAlerts(t, e.eve,
				alert{sid: 1, sev: 1, src: "10.0.0.1", dst: "10.0.0.2", dport: 443},
				alert{sid: 2, sev: 2, src: "10.0.0.3", dst: "10.0.0.4", dport: 80},
				alert{sid: 2, sev: 2, src: "10.0.0.3", dst: "10.0.0.4", dport: 80})
			cfg := e.deliverConfig(r, format, 2)
			_, err := e.run(t, cfg)
			if cli.ExitCode(err) != exitcode.ExitTempFail {
				t.Fatalf("first run: exit %d (%v), want 75", cli.ExitCode(err), err)
			}
			if strings.Contains(err.Error(), r.secret) || strings.Contains(e.logs.String(), r.secret) {
				t.Fatal("the webhook URL leaked into the error or log")
			}
			if pos, pend := e.statePos(t); pos.Offset != 0 || pend == nil {
				t.Fatalf("after a failed delivery: position %d, pending %v", pos.Offset, pend)
			}
			// Second run: 429 again (a reset), then accepted.
			res, err := e.run(t, cfg)
			if err != nil {
				t.Fatalf("second run: %v", err)
			}
			got, acc := r.snapshot()
			if len(got) != 4 || len(acc) != 1 {
				t.Fatalf("%d requests, %d accepted; want 4 and 1", len(got), len(acc))
			}
			for i, g := range got {
				if g.batch != res.BatchID {
					t.Errorf("request %d: batch %q, want %q (the same on every resend)", i, g.batch, res.BatchID)
				}
			}
			if n := countAlerts(t, format, acc[0].body); n != 3 {
				t.Errorf("accepted payload covers %d alerts, want 3", n)
			}
			if pos, pend := e.statePos(t); pos.Offset == 0 || pend != nil {
				t.Fatalf("not committed after delivery: %d %v", pos.Offset, pend)
			}
			// Nothing new: nothing sent again.
			if _, err := e.run(t, cfg); err != nil {
				t.Fatal(err)
			}
			if got2, _ := r.snapshot(); len(got2) != 4 {
				t.Fatalf("a run with nothing new sent %d more requests", len(got2)-4)
			}
		})
	}
}

// TestWebhookRefused: a 4xx other than 429 is a configuration error: exit
// 1 with the first line of the answer, nothing committed, no retry.
func TestWebhookRefused(t *testing.T) {
	e := newEnv(t)
	r := newHookReceiver(t, "400 invalid_token\nmore detail")
	appendAlerts(t, e.eve, alert{sid: 1, sev: 1, src: "10.0.0.1", dst: "10.0.0.2"})
	_, err := e.run(t, e.deliverConfig(r, "slack", 4))
	if cli.ExitCode(err) != exitcode.ExitFailure {
		t.Fatalf("exit %d (%v), want 1", cli.ExitCode(err), err)
	}
	if !strings.Contains(err.Error(), "HTTP 400: invalid_token") || strings.Contains(err.Error(), "more detail") || strings.Contains(err.Error(), r.secret) {
		t.Fatalf("error %q", err)
	}
	if got, _ := r.snapshot(); len(got) != 1 {
		t.Fatalf("a refusal was retried: %d requests", len(got))
	}
	if pos, _ := e.statePos(t); pos.Offset != 0 {
		t.Fatal("committed after a refusal")
	}
}

// TestAllDestinationsOrNothing: mail, webhook and exec; the checkpoint
// moves only when all three accepted, and a destination that accepted the
// batch is not sent it again when another one needed a second run.
func TestAllDestinationsOrNothing(t *testing.T) {
	e := newEnv(t)
	r := newHookReceiver(t, "503", "503")
	appendAlerts(t, e.eve, alert{sid: 9, sev: 1, src: "10.0.0.1", dst: "10.0.0.2"})
	hookDir := t.TempDir()
	hook := filepath.Join(hookDir, "hook")
	os.WriteFile(hook, []byte("#!/bin/sh\nn=$(ls \"$1\" | grep -c '^in\\.')\ncat > \"$1/in.$n.$SURICRON_BATCH\"\n"), 0o755)
	sender := &recSender{}
	cfg := e.deliverConfig(r, "json", 2)
	cfg.Deliver.Exec = hook + " " + hookDir
	cfg.Deliver.NoMail = false
	deps := e.deps()
	deps.Sender = sender
	_, err := run(context.Background(), cfg, deps)
	if cli.ExitCode(err) != exitcode.ExitTempFail {
		t.Fatalf("exit %d (%v), want 75", cli.ExitCode(err), err)
	}
	if pos, _ := e.statePos(t); pos.Offset != 0 {
		t.Fatal("committed while the webhook had not accepted")
	}
	res, err := run(context.Background(), cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	ins, _ := filepath.Glob(filepath.Join(hookDir, "in.*"))
	_, acc := r.snapshot()
	if len(sender.mails) != 1 || len(acc) != 1 || len(ins) != 1 {
		t.Fatalf("mails %d, webhook %d, exec %d: want each once", len(sender.mails), len(acc), len(ins))
	}
	if !strings.HasSuffix(ins[0], "."+res.BatchID) || !strings.Contains(string(sender.mails[0]), "X-Suricron-Batch: "+res.BatchID) || acc[0].batch != res.BatchID {
		t.Fatalf("batch ids differ: exec %s, result %s", ins[0], res.BatchID)
	}
	var doc Document
	b, _ := os.ReadFile(ins[0])
	if err := json.Unmarshal(b, &doc); err != nil || doc.Batch != res.BatchID || doc.Alerts != 1 {
		t.Fatalf("exec stdin: %v %+v", err, doc)
	}
	if pos, _ := e.statePos(t); pos.Offset == 0 {
		t.Fatal("not committed after all accepted")
	}
}

// TestProfilesKeepTheirOwnState: a failing destination of one profile
// never advances or blocks another.
func TestProfilesKeepTheirOwnState(t *testing.T) {
	e := newEnv(t)
	r := newHookReceiver(t, "503", "503")
	appendAlerts(t, e.eve,
		alert{sid: 1, sev: 1, src: "10.0.0.1", dst: "10.0.0.2"},
		alert{sid: 2, sev: 3, src: "10.0.0.1", dst: "10.0.0.2"})
	urgent := e.deliverConfig(r, "slack", 2)
	urgent.MinSeverity = 1
	urgent.Deliver.Profile = "urgent"
	sender := &recSender{}
	deps := e.deps()
	deps.Sender = sender
	_, err := run(context.Background(), urgent, deps)
	if cli.ExitCode(err) != exitcode.ExitTempFail {
		t.Fatalf("urgent: exit %d (%v)", cli.ExitCode(err), err)
	}
	if len(sender.mails) != 0 {
		t.Fatal("urgent profile without mail sent mail")
	}
	def := e.config()
	res, err := run(context.Background(), def, deps)
	if err != nil || res.Alerts != 2 || len(sender.mails) != 1 {
		t.Fatalf("default profile: %v, %+v, %d mails", err, res, len(sender.mails))
	}
	st, err := checkpoint.ReadState(e.state, Consumer, e.eve)
	if err != nil || st.Pos.Offset == 0 {
		t.Fatalf("default profile state: %v %+v", err, st)
	}
	ust, err := checkpoint.ReadState(e.state, Consumer+"-urgent", e.eve)
	if err != nil || ust.Pos.Offset != 0 || ust.Pending == nil {
		t.Fatalf("urgent profile state moved: %v %+v", err, ust)
	}
	if _, err := os.Stat(filepath.Join(e.state, Consumer+"-urgent.lock")); err != nil {
		t.Fatalf("urgent profile has no lock of its own: %v", err)
	}
	// The urgent profile recovers: one alert (severity 1), same batch.
	res2, err := run(context.Background(), urgent, deps)
	if err != nil || res2.Alerts != 1 || res2.BatchID != ust.Pending.BatchID {
		t.Fatalf("urgent retry: %v %+v (pending %s)", err, res2, ust.Pending.BatchID)
	}
	if bad := (Delivery{Profile: "../x"}); true {
		cfg := e.config()
		cfg.Deliver = bad
		if _, err := run(context.Background(), cfg, deps); cli.ExitCode(err) != exitcode.ExitUsage {
			t.Fatalf("profile ../x: %v", err)
		}
	}
}

// TestWebhookSettingsErrors: bad settings fail before anything is read.
func TestWebhookSettingsErrors(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("http://hooks.example.com/services/SECRET\n"), 0o600)
	for _, tc := range []struct {
		name string
		d    Delivery
		want string
	}{
		{"missing url file", Delivery{WebhookURLFile: filepath.Join(dir, "none"), WebhookFormat: "slack"}, "--webhook-url-file"},
		{"plain http", Delivery{WebhookURLFile: plain, WebhookFormat: "slack"}, "loopback"},
		{"bad format", Delivery{WebhookURLFile: plain, WebhookFormat: "discord"}, "--webhook-format"},
		{"empty exec", Delivery{Exec: "   "}, "--exec"},
		{"no destination", Delivery{NoMail: true}, "--no-mail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := e.config()
			cfg.Deliver = tc.d
			_, err := e.run(t, cfg)
			if cli.ExitCode(err) != exitcode.ExitUsage || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "SECRET") {
				t.Fatalf("exit %d: %v", cli.ExitCode(err), err)
			}
		})
	}
}

// TestHostileAlertsInPayloads: signatures and categories from eve.json
// with markup of every format reach the receivers as text only.
func TestHostileAlertsInPayloads(t *testing.T) {
	sig := "<!channel> [x](http://evil.example) *b* `c` @here \u202e & <b>"
	for _, format := range []string{"slack", "teams", "mattermost", "json"} {
		t.Run(format, func(t *testing.T) {
			e := newEnv(t)
			r := newHookReceiver(t)
			appendAlerts(t, e.eve, alert{sid: 5, sev: 1, sig: sig, src: "10.0.0.1", dst: "10.0.0.2"})
			if _, err := e.run(t, e.deliverConfig(r, format, 1)); err != nil {
				t.Fatal(err)
			}
			_, acc := r.snapshot()
			var v any
			if len(acc) != 1 || json.Unmarshal(acc[0].body, &v) != nil {
				t.Fatalf("payload is not JSON: %s", acc[0].body)
			}
			// encoding/json writes & < > as \u0026 \u003c \u003e.
			body := strings.NewReplacer(`\u0026`, "&", `\u003c`, "<", `\u003e`, ">").Replace(string(acc[0].body))
			if strings.Contains(body, "\u202e") {
				t.Errorf("bidi override survived: %.300s", body)
			}
			clean := printable.String(sig)
			switch format {
			case "slack": // mrkdwn: only & < > are markup
				if strings.Contains(body, "<!channel>") || strings.Contains(body, "<b>") || !strings.Contains(body, "&lt;!channel&gt;") {
					t.Errorf("slack mrkdwn not escaped: %.600s", body)
				}
			case "mattermost": // Markdown: escaped, and no mention
				if !strings.Contains(body, jsonEscaped(`\[x\](http://evil.example)`)) || strings.Contains(body, "@here") || strings.Contains(body, "<!channel>") {
					t.Errorf("mattermost markdown not escaped: %.600s", body)
				}
			case "teams": // TextRuns only: shown as typed
				if strings.Contains(body, `"TextBlock"`) || !strings.Contains(body, jsonEscaped(clean)) {
					t.Errorf("teams card: %.600s", body)
				}
			case "json": // the document: data, sanitised, for the receiver to escape
				var d Document
				json.Unmarshal(acc[0].body, &d)
				if len(d.Sections) != 1 || d.Sections[0].Signature != clean {
					t.Errorf("json document signature %+v", d.Sections)
				}
			}
		})
	}
}

func jsonEscaped(s string) string {
	b, _ := json.Marshal(s)
	return strings.NewReplacer(`\u0026`, "&", `\u003c`, "<", `\u003e`, ">").Replace(strings.Trim(string(b), `"`))
}
