package telemetry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/suricron/suricron/internal/cli"
	"github.com/suricron/suricron/internal/exitcode"
)

// recorded is one request the fault server saw.
type recorded struct {
	method, path string
	header       http.Header
	body         []byte // decompressed
}

// faultServer is a TLS server that records requests and answers each
// according to fault(n) (n counts from 0); nil means success.
type faultServer struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []recorded
	fault func(n int, w http.ResponseWriter, r *http.Request) bool // true = handled
	ok    int
}

func newFaultServer(t *testing.T, okStatus int, fault func(n int, w http.ResponseWriter, r *http.Request) bool) *faultServer {
	fs := &faultServer{fault: fault, ok: okStatus}
	fs.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		switch r.Header.Get("Content-Encoding") {
		case "gzip":
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err == nil {
				body, err = io.ReadAll(zr)
			}
			if err != nil {
				http.Error(w, "bad gzip", 400)
				return
			}
		case "zstd":
			zr, err := zstd.NewReader(bytes.NewReader(body))
			if err == nil {
				body, err = io.ReadAll(zr)
				zr.Close()
			}
			if err != nil {
				http.Error(w, "bad zstd", 400)
				return
			}
		}
		fs.mu.Lock()
		n := len(fs.reqs)
		fs.reqs = append(fs.reqs, recorded{r.Method, r.URL.Path, r.Header.Clone(), body})
		fs.mu.Unlock()
		r = r.WithContext(context.WithValue(r.Context(), bodyKey{}, body))
		if fs.fault != nil && fs.fault(n, w, r) {
			return
		}
		w.WriteHeader(fs.ok)
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *faultServer) requests() []recorded {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]recorded(nil), fs.reqs...)
}

// fixture is an eve.json with alerts, a SID list, a token and a state dir.
type fixture struct {
	dir, eve, sids, token, state string
}

const testToken = "s3cr3t-token-value"

func newFixture(t *testing.T, alerts int) fixture {
	t.Helper()
	dir := t.TempDir()
	f := fixture{dir: dir, eve: filepath.Join(dir, "eve.json"), sids: filepath.Join(dir, "sids.txt"),
		token: filepath.Join(dir, "token"), state: filepath.Join(dir, "state")}
	var b bytes.Buffer
	for i := 0; i < alerts; i++ {
		sid := 2000001 + i%3 // 2000003 is not in the list
		fmt.Fprintf(&b, `{"timestamp":"2024-05-08T18:%02d:%02d.000001+0200","flow_id":%d,"event_type":"alert","src_ip":"192.168.1.%d","src_port":40000,"dest_ip":"8.8.%d.8","dest_port":443,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":%d,"rev":1,"signature":"x"}}`+"\n",
			i/60%60, i%60, 9007199254740993+i, i%250+1, i%250, sid)
		fmt.Fprintf(&b, `{"timestamp":"2024-05-08T18:00:00.000000+0200","event_type":"flow","src_ip":"10.0.0.1"}`+"\n")
	}
	for p, data := range map[string]string{f.eve: b.String(), f.sids: "2000001\n2000002\n", f.token: testToken + "\n"} {
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f fixture) config(srv *faultServer, proto string) Config {
	return Config{
		Selection: Selection{SIDsFile: f.sids, HomeNet: "192.168.0.0/16", NoInterfaces: true, Protocol: proto,
			BatchSize: 10, MaxEvents: 10000, MaxBytes: 1 << 30},
		Eve: f.eve, StateDir: f.state, Start: "beginning", Endpoint: srv.URL, TokenFile: f.token,
		Compress: "gzip", Concurrency: 3, Timeout: 2 * time.Second, MaxTime: time.Minute,
		Retry: Retry{Attempts: 4, Base: time.Millisecond, Max: 10 * time.Millisecond}, Version: "test",
	}
}

// testDeps records sleeps instead of sleeping and logs into buf.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func testDeps(srv *faultServer, timeout time.Duration, sl *sleeps, logBuf *bytes.Buffer) Deps {
	client := srv.Client()
	client.Timeout = timeout
	return Deps{
		HTTP:       client,
		Logger:     slog.New(slog.NewTextHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Interfaces: func() ([]netip.Prefix, error) { return nil, nil },
		Sleep: func(ctx context.Context, d time.Duration) error {
			sl.mu.Lock()
			sl.d = append(sl.d, d)
			sl.mu.Unlock()
			return ctx.Err()
		},
	}
}

// dump runs dump-data -p against the fixture's checkpoint.
func (f fixture) dump(t *testing.T, cfg Config) []byte {
	t.Helper()
	var out bytes.Buffer
	err := RunDump(context.Background(), DumpConfig{Selection: cfg.Selection, Eve: f.eve, StateDir: f.state, Start: cfg.Start, Parsed: true},
		Deps{Stdout: &out, Interfaces: func() ([]netip.Prefix, error) { return nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// received joins what the server got in the form dump-data prints.
func received(reqs []recorded, proto string) []byte {
	var b bytes.Buffer
	seen := map[string]bool{}
	for _, r := range reqs {
		key := r.header.Get("Idempotency-Key")
		if seen[key] {
			continue // a retried request: the same bytes again
		}
		seen[key] = true
		b.Write(r.body)
		if proto == ProtoETPro {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

func TestSendScenarios(t *testing.T) {
	tests := []struct {
		name     string
		proto    string
		compress string
		timeout  time.Duration
		fault    func(n int, w http.ResponseWriter, r *http.Request) bool
		check    func(t *testing.T, reqs []recorded, sl []time.Duration)
	}{
		{name: "etpro 503 then success, Retry-After honoured", proto: ProtoETPro,
			fault: func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n == 0 {
					w.Header().Set("Retry-After", "7")
					w.WriteHeader(503)
					return true
				}
				return false
			},
			check: func(t *testing.T, reqs []recorded, sl []time.Duration) {
				if len(sl) != 1 || sl[0] != 7*time.Second {
					t.Errorf("sleeps = %v, want one of 7s (Retry-After)", sl)
				}
			}},
		{name: "ndjson gzip connection reset mid-batch", proto: ProtoNDJSON, compress: "gzip",
			fault: func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n == 1 {
					c, _, err := w.(http.Hijacker).Hijack()
					if err == nil {
						c.Close()
					}
					return true
				}
				return false
			},
			check: func(t *testing.T, reqs []recorded, sl []time.Duration) {
				if reqs[1].header.Get("Idempotency-Key") != reqs[2].header.Get("Idempotency-Key") || !bytes.Equal(reqs[1].body, reqs[2].body) {
					t.Error("the retried batch changed its key or bytes")
				}
			}},
		{name: "ndjson zstd slow response past the timeout", proto: ProtoNDJSON, compress: "zstd", timeout: 200 * time.Millisecond,
			fault: func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n == 0 {
					select {
					case <-time.After(2 * time.Second):
					case <-r.Context().Done():
					}
					w.WriteHeader(201)
					return true
				}
				return false
			},
			check: func(t *testing.T, reqs []recorded, sl []time.Duration) {
				if len(sl) == 0 {
					t.Error("no retry after the timeout")
				}
			}},
		{name: "etpro one event rejected with 400 is skipped", proto: ProtoETPro,
			fault: func(n int, w http.ResponseWriter, r *http.Request) bool {
				if bytes.Contains(mustRead(r), []byte(`"flow_id":9007199254740993,`)) {
					w.WriteHeader(400)
					return true
				}
				return false
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 30)
			okStatus := 201
			if tt.proto == ProtoNDJSON {
				okStatus = 200
			}
			srv := newFaultServer(t, okStatus, tt.fault)
			cfg := f.config(srv, tt.proto)
			if tt.compress != "" {
				cfg.Compress = tt.compress
			}
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			preview := f.dump(t, cfg)
			if n := bytes.Count(preview, []byte("\n")); n != 20 {
				t.Fatalf("dump-data -p shows %d events, want 20", n)
			}
			var sl sleeps
			var logs bytes.Buffer
			if err := Run(context.Background(), cfg, testDeps(srv, timeout, &sl, &logs)); err != nil {
				t.Fatalf("Run: %v\n%s", err, logs.String())
			}
			reqs := srv.requests()
			for _, r := range reqs {
				if got := r.header.Get("Authorization"); got != "Bearer "+testToken {
					t.Fatalf("Authorization = %q", got)
				}
				want := PathEvent
				if tt.proto == ProtoNDJSON {
					want = "/"
				}
				if r.path != want || r.method != http.MethodPost {
					t.Fatalf("%s %s, want POST %s", r.method, r.path, want)
				}
				if ct := r.header.Get("Content-Type"); tt.proto == ProtoETPro && ct != "application/json" {
					t.Fatalf("etpro event POST has Content-Type %q, want application/json", ct)
				}
			}
			got := received(reqs, tt.proto)
			if tt.proto == ProtoETPro {
				// Concurrent POSTs arrive in any order; each body is one line.
				got, preview = sortLines(got), sortLines(preview)
			}
			if !bytes.Equal(got, preview) {
				t.Errorf("server received\n%s\ndump-data -p printed\n%s", got, preview)
			}
			if strings.Contains(logs.String(), testToken) {
				t.Error("token in the log")
			}
			if tt.check != nil {
				tt.check(t, reqs, sl.d)
			}
			// Everything was settled: the next run has nothing to send.
			if after := f.dump(t, cfg); len(after) != 0 {
				t.Errorf("checkpoint not advanced; next batch:\n%s", after)
			}
			before := len(srv.requests())
			if err := Run(context.Background(), cfg, testDeps(srv, timeout, &sl, &logs)); err != nil {
				t.Fatal(err)
			}
			if n := len(srv.requests()); n != before {
				t.Errorf("second run sent %d requests", n-before)
			}
		})
	}
}

func sortLines(b []byte) []byte {
	lines := strings.SplitAfter(string(b), "\n")
	sort.Strings(lines)
	return []byte(strings.Join(lines, ""))
}

func mustRead(r *http.Request) []byte {
	// The recorder already consumed the body; the handler gets a copy.
	return r.Context().Value(bodyKey{}).([]byte)
}

type bodyKey struct{}

func TestSendFailures(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		wantCode int
	}{
		{"401 token refused", 401, exitcode.ExitUsage},
		{"503 forever", 503, exitcode.ExitTempFail},
		{"429 forever", 429, exitcode.ExitTempFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 5)
			srv := newFaultServer(t, 201, func(n int, w http.ResponseWriter, r *http.Request) bool {
				w.WriteHeader(tt.status)
				return true
			})
			cfg := f.config(srv, ProtoNDJSON)
			var sl sleeps
			var logs bytes.Buffer
			preview := f.dump(t, cfg)
			err := Run(context.Background(), cfg, testDeps(srv, time.Second, &sl, &logs))
			if got := cli.ExitCode(err); got != tt.wantCode {
				t.Fatalf("exit code %d (%v), want %d", got, err, tt.wantCode)
			}
			if strings.Contains(err.Error(), testToken) || strings.Contains(logs.String(), testToken) {
				t.Error("token leaked into the error or log")
			}
			if after := f.dump(t, cfg); !bytes.Equal(after, preview) {
				t.Error("state advanced past unacknowledged events")
			}
			ls, err := ReadLastSend(f.state)
			if err != nil || ls == nil || ls.Result != "failed" {
				t.Errorf("last send = %+v, %v", ls, err)
			}
			// The resend carries the same idempotency key.
			reqs := srv.requests()
			key := reqs[0].header.Get("Idempotency-Key")
			srv.fault = nil
			srv.ok = 200
			if err := Run(context.Background(), cfg, testDeps(srv, time.Second, &sl, &logs)); err != nil {
				t.Fatal(err)
			}
			reqs = srv.requests()
			if got := reqs[len(reqs)-1].header.Get("Idempotency-Key"); got != key || key == "" {
				t.Errorf("resend key %q, first key %q", got, key)
			}
		})
	}
}

func TestFailClosed(t *testing.T) {
	f := newFixture(t, 3)
	srv := newFaultServer(t, 201, nil)
	empty := filepath.Join(f.dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no token file", func(c *Config) { c.TokenFile = "" }, "no token"},
		{"empty token", func(c *Config) { c.TokenFile = empty }, "is empty"},
		{"missing sids", func(c *Config) { c.SIDsFile = filepath.Join(f.dir, "nope") }, "no such file"},
		{"empty sids", func(c *Config) { c.SIDsFile = empty }, "lists no SIDs"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := f.config(srv, ProtoETPro)
			c.edit(&cfg)
			var sl sleeps
			var logs bytes.Buffer
			err := Run(context.Background(), cfg, testDeps(srv, time.Second, &sl, &logs))
			if cli.ExitCode(err) != exitcode.ExitUsage || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v (exit %d), want exit 2 with %q", err, cli.ExitCode(err), c.want)
			}
			if n := len(srv.requests()); n != 0 {
				t.Fatalf("%d requests sent", n)
			}
			if _, err := os.Stat(f.state); err == nil {
				t.Fatal("state dir touched")
			}
		})
	}
}

func TestDumpWindow(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2024, 5, 8, 16, 0, 0, 0, time.UTC)
	lines := []string{
		// 15:30Z written east of UTC: inside the hour.
		`{"timestamp":"2024-05-09T00:30:00.000000+0900","flow_id":1,"event_type":"alert","src_ip":"10.0.0.1","dest_ip":"8.8.8.8","alert":{"signature_id":5,"rev":1}}`,
		// 14:30Z written west of UTC: outside.
		`{"timestamp":"2024-05-08T09:30:00.000000-0500","flow_id":2,"event_type":"alert","src_ip":"10.0.0.1","dest_ip":"8.8.8.8","alert":{"signature_id":5,"rev":1}}`,
		// 15:59Z in UTC: inside.
		`{"timestamp":"2024-05-08T15:59:00.000000+0000","flow_id":3,"event_type":"alert","src_ip":"10.0.0.1","dest_ip":"8.8.8.8","alert":{"signature_id":5,"rev":1}}`,
	}
	if err := os.WriteFile(filepath.Join(dir, "eve.json"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := RunDump(context.Background(), DumpConfig{
		Selection: Selection{AllAlerts: true, NoInterfaces: true, Protocol: ProtoETPro, BatchSize: 1, MaxEvents: 10, MaxBytes: 1 << 20},
		LogDir:    dir, Window: time.Hour, Parsed: true,
	}, Deps{Stdout: &out, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.Contains(got, `"flow_id":1,`) || strings.Contains(got, `"flow_id":2,`) || !strings.Contains(got, `"flow_id":3,`) {
		t.Errorf("window selection wrong:\n%s", got)
	}
}

// TestPlainHTTPEndpoint: the token goes over plain http only to a loopback
// host or with AllowPlainHTTP; otherwise every subcommand exits 2 before
// any request or state.
func TestPlainHTTPEndpoint(t *testing.T) {
	tests := []struct {
		endpoint string
		allow    bool
		refused  bool
	}{
		{"http://collector.example/ingest", false, true},
		{"HTTP://10.0.0.7:8080", false, true},
		{"http://[::1]:8080", false, false},
		{"http://127.0.0.2:8080", false, false},
		{"http://localhost:8080", false, false},
		{"http://collector.example/ingest", true, false},
		{"https://collector.example", false, false},
		{"ftp://collector.example", true, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s allow=%v", tt.endpoint, tt.allow), func(t *testing.T) {
			f := newFixture(t, 3)
			var reqs int
			deps := Deps{Interfaces: func() ([]netip.Prefix, error) { return nil, nil },
				HTTP: &http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
					reqs++ // never on the network: answer like a dead server
					return nil, fmt.Errorf("test transport: no network")
				})}, Sleep: func(context.Context, time.Duration) error { return nil }}
			cfg := f.config(&faultServer{Server: &httptest.Server{URL: tt.endpoint}}, ProtoNDJSON)
			cfg.Endpoint, cfg.AllowPlainHTTP, cfg.Retry.Attempts = tt.endpoint, tt.allow, 1
			errs := map[string]error{
				"send": Run(context.Background(), cfg, deps),
				"heartbeat": RunHeartbeat(context.Background(), HeartbeatConfig{Endpoint: tt.endpoint, TokenFile: f.token,
					StateDir: f.state, Retry: Retry{Attempts: 1}, AllowPlainHTTP: tt.allow}, deps),
				"status": RunStatus(context.Background(), StatusConfig{Endpoint: tt.endpoint, TokenFile: f.token,
					Retry: Retry{Attempts: 1}, AllowPlainHTTP: tt.allow}, deps),
			}
			for name, err := range errs {
				refused := cli.ExitCode(err) == exitcode.ExitUsage && err != nil && strings.Contains(err.Error(), "--endpoint")
				if refused != tt.refused {
					t.Errorf("%s: err %v (exit %d), refused=%v want %v", name, err, cli.ExitCode(err), refused, tt.refused)
				}
			}
			if tt.refused && reqs != 0 {
				t.Errorf("%d requests despite the refusal", reqs)
			}
			if !tt.refused && reqs == 0 {
				t.Error("no request was attempted")
			}
		})
	}
}

// TestWrongEndpoint: a collector that answers every event with a code that
// is not the protocol's success (200 to etpro, a redirect, 404) delivered
// nothing: exit 1, the checkpoint stays, last.json says failed. ndjson
// accepts any 2xx.
func TestWrongEndpoint(t *testing.T) {
	tests := []struct {
		proto  string
		status int
		fails  bool
	}{
		{ProtoETPro, 200, true},
		{ProtoETPro, 302, true},
		{ProtoETPro, 404, true},
		{ProtoNDJSON, 302, true},
		{ProtoNDJSON, 307, true},
		{ProtoNDJSON, 404, true},
		{ProtoNDJSON, 200, false},
		{ProtoNDJSON, 204, false},
		{ProtoETPro, 201, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %d", tt.proto, tt.status), func(t *testing.T) {
			f := newFixture(t, 30)
			srv := newFaultServer(t, 201, func(n int, w http.ResponseWriter, r *http.Request) bool {
				if tt.status >= 300 && tt.status < 400 {
					w.Header().Set("Location", "https://127.0.0.1:1/login") // never followed
				}
				w.WriteHeader(tt.status)
				return true
			})
			cfg := f.config(srv, tt.proto)
			var sl sleeps
			var logs bytes.Buffer
			preview := f.dump(t, cfg)
			err := Run(context.Background(), cfg, testDeps(srv, time.Second, &sl, &logs))
			if !tt.fails {
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				if after := f.dump(t, cfg); len(after) != 0 {
					t.Error("delivered events not committed")
				}
				return
			}
			if got := cli.ExitCode(err); got != exitcode.ExitFailure {
				t.Fatalf("exit %d (%v), want 1", got, err)
			}
			// The next run resends the pending first batch: nothing was passed.
			if after := f.dump(t, cfg); len(after) == 0 || !bytes.HasPrefix(preview, after) {
				t.Errorf("checkpoint moved past undelivered events: next run sends\n%s", after)
			}
			if ls, _ := ReadLastSend(f.state); ls == nil || ls.Result != "failed" || ls.Accepted != 0 {
				t.Errorf("last send = %+v", ls)
			}
			if tt.status >= 300 && tt.status < 400 && len(sl.d) != 0 {
				t.Errorf("a redirect was retried (%v)", sl.d)
			}
		})
	}
}

// TestHugeRetryAfter: "Retry-After: 4294967295" with no time budget
// (--max-time 0) does not sleep 136 years: the run ends at once with exit
// 75 and the checkpoint unchanged.
func TestHugeRetryAfter(t *testing.T) {
	for _, ra := range []string{"4294967295", "86400", "Wed, 21 Oct 2099 07:28:00 GMT"} {
		t.Run(ra, func(t *testing.T) {
			f := newFixture(t, 5)
			srv := newFaultServer(t, 201, func(n int, w http.ResponseWriter, r *http.Request) bool {
				w.Header().Set("Retry-After", ra)
				w.WriteHeader(503)
				return true
			})
			cfg := f.config(srv, ProtoNDJSON)
			cfg.MaxTime = 0
			var sl sleeps
			var logs bytes.Buffer
			preview := f.dump(t, cfg)
			err := Run(context.Background(), cfg, testDeps(srv, time.Second, &sl, &logs))
			if cli.ExitCode(err) != exitcode.ExitTempFail || !strings.Contains(err.Error(), "next run") {
				t.Fatalf("err %v (exit %d), want 75 leaving it to the next run", err, cli.ExitCode(err))
			}
			for _, d := range sl.d {
				if d > 2*time.Minute {
					t.Errorf("slept %s", d)
				}
			}
			if after := f.dump(t, cfg); !bytes.Equal(after, preview) {
				t.Error("checkpoint moved")
			}
		})
	}
}

// TestTLSVerifyNotRetried: a certificate that does not verify fails the
// run at once (exit 1, one attempt, no backoff) with a message naming it.
func TestTLSVerifyNotRetried(t *testing.T) {
	f := newFixture(t, 5)
	srv := newFaultServer(t, 201, nil)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	cfg := f.config(srv, ProtoETPro)
	var sl sleeps
	var logs bytes.Buffer
	deps := testDeps(srv, time.Second, &sl, &logs)
	deps.HTTP = NewHTTPClient(time.Second, 2) // the system roots: the test CA is unknown
	preview := f.dump(t, cfg)
	err := Run(context.Background(), cfg, deps)
	if !errors.Is(err, ErrTLSVerify) || cli.ExitCode(err) != exitcode.ExitFailure || !strings.Contains(err.Error(), "not retried") {
		t.Fatalf("err %v (exit %d), want ErrTLSVerify, exit 1", err, cli.ExitCode(err))
	}
	if len(sl.d) != 0 {
		t.Errorf("retried after a verification failure: sleeps %v", sl.d)
	}
	if after := f.dump(t, cfg); !bytes.Equal(after, preview) {
		t.Error("checkpoint moved")
	}
}

// cancelOnWrite cancels the run at the first write that reaches it.
type cancelOnWrite struct {
	cancel func()
	n      int
}

func (w *cancelOnWrite) Write(b []byte) (int, error) {
	w.n++
	w.cancel()
	return len(b), nil
}

// TestDumpStreams: dump-data prints while it reads (issue 17: it held
// every event before printing). The first bytes reach stdout while the
// file is still being read, so a cancellation then stops the read.
func TestDumpStreams(t *testing.T) {
	f := newFixture(t, 15000) // 10,000 selected alerts in 30,000 lines
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelOnWrite{cancel: cancel}
	err := RunDump(ctx, DumpConfig{
		Selection: Selection{SIDsFile: f.sids, HomeNet: "192.168.0.0/16", NoInterfaces: true, Protocol: ProtoETPro,
			BatchSize: 10, MaxEvents: 1 << 20, MaxBytes: 1 << 30},
		Eve: f.eve, StateDir: f.state, Start: "beginning", Parsed: true,
	}, Deps{Stdout: w, Interfaces: func() ([]netip.Prefix, error) { return nil, nil }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("RunDump = %v after %d writes; want the read cancelled mid-way (output streamed)", err, w.n)
	}
}
