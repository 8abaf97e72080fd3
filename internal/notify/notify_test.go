package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hostile are attacker-controlled strings as they reach a digest from
// eve.json: markup of every target format, mentions, line breaks and
// terminal escapes.
var hostile = []string{
	`<!channel> ET <http://evil.example/|click here> & <@U123>`,
	"[click](http://evil.example/x) ![img](http://evil.example/i.png) **bold** `code` <b>html</b>",
	"line one\nline two\r\n# heading\n- list\n\x1b[31mred\x1b[0m \u202eevil\u202c",
	`@channel @all @here ~town-square {"json":"break"} \"quote\\`,
	`| table | cell |` + "\n" + `|---|---|`,
	strings.Repeat("A<&>[](", 2000),
}

func hostileDigest(n int) *Digest {
	d := &Digest{
		Batch: "b-0123456789abcdef", Title: "[suricron] sensor-1: 99 alerts, 9 signatures (3 high) " + hostile[0],
		Alerts: 0, Summary: []string{"Alerts: 99 from 2026-12-07 10:00 to 10:05", "Sensor: " + hostile[1]},
		Notes: []string{"suppress file line 3 ignored: " + hostile[2]},
		JSON:  []byte(`{"batch_id":"b-0123456789abcdef"}`),
	}
	for i := 0; i < n; i++ {
		it := Item{SID: int64(2000000 + i), Signature: hostile[i%len(hostile)], Severity: 1 + i%3, Count: int64(100 - i%100),
			Tags: []string{"new"}, Lines: []string{"10.0.0.1 → 192.0.2.7:443 ×4", "http " + hostile[(i+1)%len(hostile)]}}
		d.Items = append(d.Items, it)
		d.Alerts += it.Count
	}
	d.Signatures = n
	return d
}

// mrkdwnSafe fails unless Slack mrkdwn text holds no control character
// unescaped: no < or >, and & only as an entity.
func mrkdwnSafe(t *testing.T, s string) {
	t.Helper()
	if strings.ContainsAny(s, "<>") {
		t.Fatalf("mrkdwn holds < or >: %.200q", s)
	}
	for i := strings.IndexByte(s, '&'); i >= 0; {
		rest := s[i:]
		if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
			t.Fatalf("raw & in mrkdwn at %d: %.60q", i, rest)
		}
		j := strings.IndexByte(s[i+1:], '&')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	if strings.ContainsAny(s, "\x1b\r\u202e") {
		t.Fatalf("control characters survived: %.200q", s)
	}
}

// markdownSafe fails unless every markup character in Markdown text that
// came from hostile input is escaped. ours are the characters this package
// writes itself around escaped text (bold, list dashes, headings).
func markdownSafe(t *testing.T, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' {
			i++ // escaped pair
			continue
		}
		switch c {
		case '[', ']', '<', '>', '`', '|', '~', '&':
			t.Fatalf("unescaped %q at %d in %.120q", c, i, s[max(0, i-40):])
		case '#':
			if !(i == 0 || s[i-1] == '\n' || s[i-1] == '#') {
				t.Fatalf("unescaped # (hashtag) at %d in %.120q", i, s[max(0, i-40):])
			}
		case '@':
			t.Fatalf("raw @ (mention) at %d in %.120q", i, s[max(0, i-40):])
		case '\n', '\r', '\x1b':
			// Our own line breaks are fine; check no hostile text
			// starts a line with markup below.
		}
	}
	if strings.ContainsAny(s, "\x1b\r\u202e") {
		t.Fatalf("control characters survived: %.200q", s)
	}
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "#### ") {
			t.Fatalf("hostile heading line %q", l)
		}
	}
}

func TestSlackPayloadStructure(t *testing.T) {
	for _, n := range []int{0, 1, 6, 300, 2000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			d := hostileDigest(n)
			b, err := Payload(Slack, d)
			if err != nil {
				t.Fatal(err)
			}
			var m struct {
				Text   string `json:"text"`
				Blocks []struct {
					Type string `json:"type"`
					Text *struct {
						Type, Text string
					} `json:"text"`
					Elements []struct{ Type, Text string } `json:"elements"`
				} `json:"blocks"`
			}
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("payload is not JSON: %v", err)
			}
			if len(m.Blocks) > SlackMaxBlocks || len(m.Blocks) < 3 {
				t.Fatalf("%d blocks", len(m.Blocks))
			}
			if m.Blocks[0].Type != "header" || m.Blocks[0].Text.Type != "plain_text" || len([]rune(m.Blocks[0].Text.Text)) > SlackMaxHeaderText {
				t.Fatalf("header block %+v", m.Blocks[0])
			}
			mrkdwnSafe(t, m.Text)
			var all strings.Builder
			for _, bl := range m.Blocks[1:] {
				switch bl.Type {
				case "section":
					if bl.Text.Type != "mrkdwn" || len([]rune(bl.Text.Text)) > SlackMaxSectionText {
						t.Fatalf("section %s of %d runes", bl.Text.Type, len([]rune(bl.Text.Text)))
					}
					mrkdwnSafe(t, bl.Text.Text)
					all.WriteString(bl.Text.Text + "\n")
				case "context":
					for _, e := range bl.Elements {
						mrkdwnSafe(t, e.Text)
						all.WriteString(e.Text + "\n")
					}
				default:
					t.Fatalf("unexpected block %q", bl.Type)
				}
			}
			wantCoverage(t, d, all.String())
		})
	}
}

// wantCoverage checks the message says how many alerts the batch holds
// and, when it could not show every signature, how many it summed.
func wantCoverage(t *testing.T, d *Digest, text string) {
	t.Helper()
	text = unescapeMarkdown(text)
	if !strings.Contains(text, "covers all "+plural(d.Alerts, "alert", "alerts")+" of batch "+d.Batch) {
		t.Fatalf("no coverage line in %.300q", text[max(0, len(text)-600):])
	}
	if len(d.Items) == 2000 && !strings.Contains(text, "and sums the other") {
		t.Fatalf("2000 signatures and no summary of those left out")
	}
}

func TestMattermostPayloadStructure(t *testing.T) {
	for _, n := range []int{0, 1, 6, 2000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			d := hostileDigest(n)
			b, err := Payload(Mattermost, d)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			text, _ := m["text"].(string)
			if len(m) != 1 || text == "" || len([]rune(text)) > MattermostMaxText {
				t.Fatalf("keys %v, %d runes", m, len([]rune(text)))
			}
			markdownSafe(t, text)
			wantCoverage(t, d, text)
		})
	}
}

func TestTeamsPayloadStructure(t *testing.T) {
	for _, n := range []int{0, 1, 6, 2000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			d := hostileDigest(n)
			b, err := Payload(Teams, d)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > TeamsMaxBytes {
				t.Fatalf("%d bytes", len(b))
			}
			var m struct {
				Type        string `json:"type"`
				Attachments []struct {
					ContentType string          `json:"contentType"`
					ContentURL  json.RawMessage `json:"contentUrl"`
					Content     struct {
						Type    string `json:"type"`
						Version string `json:"version"`
						Body    []struct {
							Type    string `json:"type"`
							Text    string `json:"text"`
							Inlines []struct {
								Type string `json:"type"`
								Text string `json:"text"`
							} `json:"inlines"`
						} `json:"body"`
						Actions json.RawMessage `json:"actions"`
					} `json:"content"`
				} `json:"attachments"`
			}
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if m.Type != "message" || len(m.Attachments) != 1 || m.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" ||
				m.Attachments[0].Content.Type != "AdaptiveCard" || m.Attachments[0].Content.Actions != nil {
				t.Fatalf("envelope %s", b[:min(len(b), 300)])
			}
			var all strings.Builder
			for _, e := range m.Attachments[0].Content.Body {
				// Only RichTextBlocks of TextRuns, which Teams never
				// parses as Markdown; a TextBlock would be.
				if e.Type != "RichTextBlock" || e.Text != "" || len(e.Inlines) == 0 {
					t.Fatalf("element %q (text %q)", e.Type, e.Text)
				}
				for _, r := range e.Inlines {
					if r.Type != "TextRun" || strings.ContainsAny(r.Text, "\x1b\r\u202e") {
						t.Fatalf("inline %q %q", r.Type, r.Text)
					}
					all.WriteString(r.Text + "\n")
				}
			}
			if n == 1 && !strings.Contains(all.String(), "× "+slackPlain(hostile[0])) {
				t.Fatalf("the signature is not shown as typed: %.300q", all.String())
			}
			wantCoverage(t, d, all.String())
		})
	}
}

// TestEscapeRoundTrip: the escaped text shows exactly the sanitised input,
// so escaping hides nothing from the reader either.
func unescapeMarkdown(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return strings.ReplaceAll(b.String(), "＠", "@")
}

func TestEscapeRoundTrip(t *testing.T) {
	unescape := unescapeMarkdown
	for _, h := range hostile {
		got := unescape(markdownText(h))
		if want := slackPlain(h); got != want {
			t.Errorf("markdown round trip of %.40q: got %.80q", h, got)
		}
		slack := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(slackText(h))
		if want := slackPlain(h); slack != want {
			t.Errorf("slack round trip of %.40q: got %.80q", h, slack)
		}
	}
}

func TestJSONPayloadIsTheDocument(t *testing.T) {
	d := hostileDigest(3)
	b, err := Payload(JSON, d)
	if err != nil || string(b) != string(d.JSON) {
		t.Fatalf("got %s, %v", b, err)
	}
	d.JSON = []byte(`{"broken"`)
	if _, err := Payload(JSON, d); err == nil {
		t.Fatal("invalid document accepted")
	}
}

// receiver is an in-process HTTPS webhook receiver that answers with a
// script of failures before accepting.
type receiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	// script: "503", "429", "reset", "400 text", "200"; the last entry
	// repeats.
	script  []string
	reqs    []*http.Request
	bodies  [][]byte
	secret  string
	hookURL string
}

func newReceiver(t *testing.T, script ...string) *receiver {
	r := &receiver{script: script, secret: "T000/B000/XXXXsecretXXXX"}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		i := len(r.reqs)
		r.reqs = append(r.reqs, req)
		r.bodies = append(r.bodies, body)
		step := r.script[min(i, len(r.script)-1)]
		r.mu.Unlock()
		if !strings.HasSuffix(req.URL.Path, r.secret) {
			http.NotFound(w, req)
			return
		}
		code, text, _ := strings.Cut(step, " ")
		switch code {
		case "reset":
			hj, _ := w.(http.Hijacker)
			c, _, err := hj.Hijack()
			if err == nil {
				if tc, ok := c.(interface{ NetConn() any }); ok {
					_ = tc
				}
				c.Close()
			}
			return
		case "429":
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(429)
		case "503":
			w.WriteHeader(503)
		case "400":
			w.WriteHeader(400)
		default:
			w.WriteHeader(200)
		}
		io.WriteString(w, text)
	}))
	t.Cleanup(r.srv.Close)
	r.hookURL = r.srv.URL + "/services/" + r.secret
	return r
}

func (r *receiver) webhook(t *testing.T, f Format, attempts int) (*Webhook, *[]time.Duration) {
	w, err := NewWebhook(f, r.hookURL)
	if err != nil {
		t.Fatal(err)
	}
	w.Client = r.srv.Client()
	w.Client.CheckRedirect = NewHTTPClient(0).CheckRedirect
	var waits []time.Duration
	w.Retry = Retry{Attempts: attempts, Sleep: func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}}
	return w, &waits
}

func TestWebhookFailsThenRecovers(t *testing.T) {
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			r := newReceiver(t, "503 busy", "429", "reset", "200 ok")
			w, waits := r.webhook(t, f, 4)
			d := hostileDigest(5)
			if err := w.Deliver(context.Background(), d); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			if len(r.reqs) != 4 || len(*waits) != 3 {
				t.Fatalf("%d requests, %d waits; want 4 and 3", len(r.reqs), len(*waits))
			}
			for i, req := range r.reqs {
				if got := req.Header.Get(BatchHeader); got != d.Batch {
					t.Errorf("request %d: %s %q, want %q", i, BatchHeader, got, d.Batch)
				}
				if string(r.bodies[i]) != string(r.bodies[0]) {
					t.Errorf("request %d: body differs from the first attempt", i)
				}
				if ct := req.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type %q", ct)
				}
			}
			if f == JSON && string(r.bodies[0]) != string(d.JSON) {
				t.Errorf("json body %s", r.bodies[0])
			}
			// Back-off doubles between attempts (with jitter).
			if w := *waits; !(w[1] > w[0]) {
				t.Errorf("waits %v do not grow", w)
			}
		})
	}
}

func TestWebhookTemporaryAfterAttempts(t *testing.T) {
	r := newReceiver(t, "503 "+"echo of https://x/services/T000/B000/XXXXsecretXXXX")
	w, _ := r.webhook(t, Slack, 3)
	err := w.Deliver(context.Background(), hostileDigest(2))
	var ne *Error
	if !errors.As(err, &ne) || ne.Outcome != Temporary {
		t.Fatalf("got %v, want a temporary *Error", err)
	}
	if len(r.reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(r.reqs))
	}
	if strings.Contains(err.Error(), r.secret) || strings.Contains(err.Error(), r.srv.URL) {
		t.Fatalf("error shows the webhook URL: %v", err)
	}
	if !strings.Contains(err.Error(), "3 attempts failed") || !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatalf("error %q does not say what happened", err)
	}
}

func TestWebhookPermanentFirstLine(t *testing.T) {
	r := newReceiver(t, "400 invalid_blocks for https://x/services/T000/B000/XXXXsecretXXXX \x1b[2J\nsecond line")
	w, _ := r.webhook(t, Teams, 4)
	err := w.Deliver(context.Background(), hostileDigest(2))
	if OutcomeOf(err) != Permanent || len(r.reqs) != 1 {
		t.Fatalf("got %v after %d requests, want permanent after 1", err, len(r.reqs))
	}
	msg := err.Error()
	if !strings.Contains(msg, "HTTP 400: invalid_blocks") || strings.Contains(msg, "second line") {
		t.Fatalf("want the first line of the response: %q", msg)
	}
	if strings.Contains(msg, r.secret) || strings.Contains(msg, "\x1b") {
		t.Fatalf("secret or escape in %q", msg)
	}
}

func TestWebhookConnectionRefusedIsTemporary(t *testing.T) {
	r := newReceiver(t, "200")
	w, _ := r.webhook(t, Mattermost, 2)
	r.srv.Close()
	err := w.Deliver(context.Background(), hostileDigest(1))
	if OutcomeOf(err) != Temporary {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), r.secret) {
		t.Fatalf("secret in %q", err)
	}
}

func TestWebhookRedirectIsRefused(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	w, err := NewWebhook(JSON, srv.URL+"/hook")
	if err != nil {
		t.Fatal(err)
	}
	w.Client = srv.Client()
	w.Client.CheckRedirect = NewHTTPClient(0).CheckRedirect
	if err := w.Deliver(context.Background(), hostileDigest(1)); OutcomeOf(err) != Permanent {
		t.Fatalf("a redirect counted as %v", err)
	}
}

func TestNewWebhookURL(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://hooks.slack.com/services/T/B/x", true},
		{"http://127.0.0.1:8065/hooks/x", true},
		{"http://hooks.example.com/x", false},
		{"ftp://x/y", false},
		{"https://", false},
		{"https://exa mple.com/\x7fsecret", false},
	} {
		_, err := NewWebhook(Slack, tc.url)
		if (err == nil) != tc.ok {
			t.Errorf("%q: %v", tc.url, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error shows the URL: %v", err)
		}
	}
	if _, err := NewWebhook("discord", "https://x/y"); err == nil {
		t.Error("unknown format accepted")
	}
}

// script writes an executable shell script.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hook")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExecFailsThenSucceeds(t *testing.T) {
	dir := t.TempDir()
	hook := script(t, `n=$(cat "$1/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$1/count"
cat > "$1/stdin.$n"; echo "$SURICRON_BATCH" > "$1/batch.$n"
[ $n -ge 3 ] && exit 0
echo "relay busy, try later" >&2; exit 75
`)
	e, err := NewExec(hook + " " + dir)
	if err != nil {
		t.Fatal(err)
	}
	e.Retry = Retry{Attempts: 4, Sleep: func(context.Context, time.Duration) error { return nil }}
	d := hostileDigest(2)
	if err := e.Deliver(context.Background(), d); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	for n := 1; n <= 3; n++ {
		in, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("stdin.%d", n)))
		batch, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("batch.%d", n)))
		if string(in) != string(d.JSON) || strings.TrimSpace(string(batch)) != d.Batch {
			t.Fatalf("run %d: stdin %q batch %q", n, in, batch)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "stdin.4")); err == nil {
		t.Fatal("ran again after success")
	}
}

func TestExecOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       Outcome
		msg        string
	}{
		{"ok", "cat >/dev/null; exit 0", Delivered, ""},
		{"tempfail", "echo 'later' >&2; exit 75", Temporary, "exit 75 (temporary): later"},
		{"refused", "printf 'bad \\033[2J input\\nmore\\n' >&2; exit 3", Permanent, `exit status 3: bad \x1b[2J input`},
		{"signal", "kill -9 $$", Permanent, "signal: killed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := NewExec(script(t, tc.body))
			e.Retry = Retry{Attempts: 2, Sleep: func(context.Context, time.Duration) error { return nil }}
			err := e.Deliver(context.Background(), hostileDigest(1))
			if OutcomeOf(err) != tc.want {
				t.Fatalf("got %v (%v), want %v", OutcomeOf(err), err, tc.want)
			}
			if tc.msg != "" && !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q lacks %q", err, tc.msg)
			}
		})
	}
	if _, err := NewExec("  "); err == nil {
		t.Fatal("empty command accepted")
	}
	e, _ := NewExec("/nonexistent/hook arg")
	if err := e.Deliver(context.Background(), hostileDigest(1)); OutcomeOf(err) != Permanent {
		t.Fatalf("missing program: %v", err)
	}
}

// TestExecNoShell: the command line is split at white space, never given
// to a shell.
func TestExecNoShell(t *testing.T) {
	dir := t.TempDir()
	hook := script(t, `for a in "$@"; do echo "$a"; done > "$1/args"`)
	e, _ := NewExec(hook + " " + dir + " $HOME;touch " + dir + "/pwned '*'")
	if err := e.Deliver(context.Background(), hostileDigest(1)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "args"))
	if want := dir + "\n$HOME;touch\n" + dir + "/pwned\n'*'\n"; string(b) != want {
		t.Fatalf("args %q, want %q", b, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Fatal("a shell ran the command line")
	}
}

// TestExecKillsProcessGroup: on timeout the hook and its children die.
func TestExecKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	hook := script(t, `sleep 300 & echo $! > "$1/child"; wait`)
	e, _ := NewExec(hook + " " + dir)
	e.Timeout = 300 * time.Millisecond
	e.Retry = Retry{Attempts: 1}
	err := e.Deliver(context.Background(), hostileDigest(1))
	if OutcomeOf(err) != Temporary || !strings.Contains(err.Error(), "killed after") {
		t.Fatalf("got %v", err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "child"))
	var pid int
	if _, err := fmt.Sscan(string(b), &pid); err != nil {
		t.Fatalf("child pid %q", b)
	}
	// Wait (on the condition, not a clock) for the child to be reaped.
	for i := 0; ; i++ {
		if syscall.Kill(pid, 0) != nil {
			break
		}
		if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); strings.Contains(string(st), ") Z ") {
			break // killed, waiting for init to reap it
		}
		if i == 5000 {
			t.Fatalf("child %d survived the kill", pid)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestExecInterrupted(t *testing.T) {
	hook := script(t, `sleep 300`)
	e, _ := NewExec(hook)
	ctx, cancel := context.WithCancel(context.Background())
	e.Retry = Retry{Attempts: 3}
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	err := e.Deliver(ctx, hostileDigest(1))
	if OutcomeOf(err) != Temporary || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

func TestRetryWait(t *testing.T) {
	r := Retry{Base: time.Second, Max: 10 * time.Second}
	for n, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second} {
		got := r.wait(n, 0)
		if got < want*8/10 || got > want*12/10 {
			t.Errorf("wait(%d) = %v, want %v ±20%%", n, got, want)
		}
	}
	if got := r.wait(0, 5*time.Second); got != 5*time.Second {
		t.Errorf("Retry-After 5s within Max: waited %v", got)
	}
	if got := r.wait(0, time.Minute); got > 2*time.Second {
		t.Errorf("Retry-After beyond Max obeyed: %v", got)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := thousands(n); got != want {
			t.Errorf("%d: %q", n, got)
		}
	}
}

// TestPlanDetailsFewNamesMany: a large batch shows at most MaxDetailed
// signatures in detail and names as many others as fit.
func TestPlanDetailsFewNamesMany(t *testing.T) {
	d := hostileDigest(2000)
	for i := range d.Items {
		d.Items[i].Signature = fmt.Sprintf("ET TEST signature %d", i)
	}
	b, err := Payload(Mattermost, d)
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Text string }
	json.Unmarshal(b, &m)
	detailed := strings.Count(m.Text, "\n**")
	named := strings.Count(m.Text, "\n- ") - strings.Count(m.Text, "\n- 10.0.0.1") - strings.Count(m.Text, "\n- http")
	if detailed != MaxDetailed || named < 100 {
		t.Fatalf("%d detailed, %d named", detailed, named)
	}
}
