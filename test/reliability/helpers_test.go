package reliability

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/buger/jsonparser"
	"github.com/klauspost/compress/gzip"

	"github.com/suricron/suricron/tools/soak/soak"
)

// alerts returns soak alert records first..last, one per line.
func alerts(first, last int) string {
	var b strings.Builder
	t0 := time.Now().Add(-time.Hour)
	for n := first; n <= last; n++ {
		b.WriteString(soak.AlertLine(n, t0.Add(time.Duration(n)*time.Millisecond)))
	}
	return b.String()
}

// digestEnv is a directory-backed --sendmail stand-in; delay makes each
// delivery slow (seconds, for overlap tests).
type digestSink struct {
	dir, script string
}

func newDigestSink(t *testing.T, delay string) *digestSink {
	t.Helper()
	d := &digestSink{dir: filepath.Join(t.TempDir(), "mail")}
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	d.script = filepath.Join(filepath.Dir(d.dir), "sendmail")
	if err := soak.SendmailScript(d.script, d.dir); err != nil {
		t.Fatal(err)
	}
	if delay != "" {
		b, _ := os.ReadFile(d.script)
		s := strings.Replace(string(b), "\nt=", "\nsleep "+delay+"\nt=", 1)
		if err := os.WriteFile(d.script, []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func (d *digestSink) batches(t *testing.T) []soak.Batch {
	t.Helper()
	bs, err := soak.ReadMailDir(d.dir)
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

// raws returns every stored message verbatim.
func (d *digestSink) raws(t *testing.T) []string {
	t.Helper()
	ents, _ := os.ReadDir(d.dir)
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "msg.") {
			b, err := os.ReadFile(filepath.Join(d.dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		}
	}
	return out
}

// exactlyOnce checks that records first..last were delivered once each, in
// batches that were never repeated.
func exactlyOnce(t *testing.T, what string, bs []soak.Batch, first, last int) {
	t.Helper()
	seen := map[int]int{}
	ids := map[string]bool{}
	for _, b := range bs {
		if ids[b.ID] {
			t.Errorf("%s: batch %s delivered twice", what, b.ID)
		}
		ids[b.ID] = true
		for _, n := range b.Records {
			seen[n]++
		}
	}
	for n := first; n <= last; n++ {
		if seen[n] != 1 {
			t.Errorf("%s: record %d delivered %d times", what, n, seen[n])
		}
	}
	if len(seen) != last-first+1 {
		t.Errorf("%s: %d distinct records delivered, want %d", what, len(seen), last-first+1)
	}
}

// collector is an HTTPS collector for telemetry-send --protocol ndjson whose
// behaviour a test can change: "ok" records and acknowledges; the others
// simulate broken servers.
type collector struct {
	srv    *httptest.Server
	caFile string

	mu       sync.Mutex
	mode     string        // ok, hang, reset, garbage, slow
	slow     time.Duration // for "slow": answer after this long
	requests int
	batches  []soak.Batch
}

func newCollector(t *testing.T) *collector {
	t.Helper()
	c := &collector{mode: "ok"}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(c.handle))
	// Killed clients leave half-done TLS handshakes by design: not news.
	c.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	c.srv.StartTLS()
	t.Cleanup(c.srv.Close)
	c.caFile = filepath.Join(t.TempDir(), "ca.pem")
	writeFile(t, c.caFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.srv.Certificate().Raw})), 0o644)
	return c
}

func (c *collector) set(mode string) {
	c.mu.Lock()
	c.mode = mode
	c.mu.Unlock()
}

func (c *collector) handle(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	mode, slow := c.mode, c.slow
	c.requests++
	c.mu.Unlock()
	switch mode {
	case "hang":
		// Read the body first: only then does net/http notice the client
		// hanging up and cancel the request context.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return
	case "reset":
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("no hijacker")
		}
		conn, _, _ := hj.Hijack()
		// RST rather than FIN: the peer sees "connection reset".
		if tc, ok := conn.(*tls.Conn); ok {
			if tcp, ok := tc.NetConn().(*net.TCPConn); ok {
				tcp.SetLinger(0)
			}
		}
		conn.Close()
		return
	case "garbage":
		hj := w.(http.Hijacker)
		conn, buf, _ := hj.Hijack()
		buf.WriteString("SSH-2.0-OpenSSH_9.2\r\n\x00\xff\xfe garbage, not HTTP\r\n\r\n")
		buf.Flush()
		conn.Close()
		return
	case "slow":
		time.Sleep(slow)
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, "bad gzip", 400)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, "short body", 400)
		return
	}
	b := soak.Batch{ID: r.Header.Get("Idempotency-Key")}
	for _, l := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		if n, err := jsonparser.GetInt(l, "flow_id"); err == nil {
			b.Records = append(b.Records, int(n))
		}
	}
	c.mu.Lock()
	c.batches = append(c.batches, b)
	c.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func (c *collector) got() []soak.Batch {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]soak.Batch(nil), c.batches...)
}

// weeklyTotal renders weekly-report's aggregates over the last two days as
// JSON and returns alerts.total.
func weeklyTotal(t *testing.T, env []string, conf, eve, state string) int {
	t.Helper()
	r := run(t, env, "weekly-report", "-c", conf, "--eve", eve, "--state-dir", state, "--format", "json",
		"--since", time.Now().Add(-48*time.Hour).Format(time.RFC3339), "--until", time.Now().Add(time.Hour).Format(time.RFC3339))
	r.want(t, 0, "weekly-report --format json")
	var rep struct {
		Alerts struct {
			Total int `json:"total"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("weekly-report json: %v\n%.500s", err, r.stdout)
	}
	return rep.Alerts.Total
}

// statePos returns the committed position of a consumer's state file (not
// the pending record, which a failed delivery may write).
func statePos(t *testing.T, stateDir, consumer string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(stateDir, consumer+".state.json"))
	if err != nil {
		return "none: " + err.Error()
	}
	var st struct {
		Position json.RawMessage `json:"position"`
		BatchID  string          `json:"batch_id"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("state of %s: %v", consumer, err)
	}
	return fmt.Sprintf("%s %s", st.Position, st.BatchID)
}
