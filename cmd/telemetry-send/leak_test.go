package main

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// echoCollector is a real HTTPS collector that answers every event POST
// with 500 and the request's headers (Authorization included) in the body,
// as some misconfigured proxies and debug servers do, and records the
// heartbeat it is sent.
type echoCollector struct {
	*httptest.Server
	mu         sync.Mutex
	heartbeats [][]byte
}

func newEchoCollector(t *testing.T) *echoCollector {
	c := &echoCollector{}
	c.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/api/v1/telemetry" {
			c.mu.Lock()
			c.heartbeats = append(c.heartbeats, body)
			c.mu.Unlock()
			w.WriteHeader(http.StatusCreated)
			return
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "internal error handling %s %s\n", r.Method, r.URL.Path)
		_ = r.Header.Write(&b)
		auth := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		fmt.Fprintf(&b, "token=%s b64:%s\n", auth, base64.StdEncoding.EncodeToString([]byte(auth)))
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write(b.Bytes())
	}))
	t.Cleanup(c.Close)
	return c
}

// TestTokenEchoedByServerDoesNotLeak runs the built telemetry-send against
// a collector that echoes the Authorization header in its 500 answers: the
// token must not appear on stderr, in the state dir (last.json), in the
// metrics file or in the next heartbeat upload.
func TestTokenEchoedByServerDoesNotLeak(t *testing.T) {
	sendBin, _ := buildBinaries(t)
	srv := newEchoCollector(t)
	dir := t.TempDir()
	const token = "tok-Zq81-very-secret-4711"
	certFile := filepath.Join(dir, "ca.pem")
	var eve bytes.Buffer
	for i := 0; i < 3; i++ {
		fmt.Fprintf(&eve, `{"timestamp":"2024-05-08T18:00:0%d.5+0000","flow_id":%d,"event_type":"alert","src_ip":"10.1.2.%d","dest_ip":"93.184.216.%d","alert":{"signature_id":2000000,"rev":2}}`+"\n", i, 1<<40+i, i, i)
	}
	files := map[string]string{
		certFile:                       string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})),
		filepath.Join(dir, "eve.json"): eve.String(), filepath.Join(dir, "sids"): "2000000\n",
		filepath.Join(dir, "token"): token + "\n", filepath.Join(dir, "none.toml"): "",
	}
	for p, s := range files {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	state := filepath.Join(dir, "state")
	metricsFile := filepath.Join(dir, "metrics.prom")
	common := []string{"--config", filepath.Join(dir, "none.toml"), "--eve", filepath.Join(dir, "eve.json"), "--state-dir", state,
		"--sids-file", filepath.Join(dir, "sids"), "--no-interfaces", "--start", "beginning", "--endpoint", srv.URL,
		"--token-file", filepath.Join(dir, "token"), "--retries", "2", "--retry-wait", "1ms", "--retry-max", "1ms",
		"--metrics-file", metricsFile, "--log-level", "debug"}
	for _, proto := range []string{"etpro", "ndjson"} {
		cmd := exec.Command(sendBin, append(common, "--protocol", proto)...)
		cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+certFile)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if err == nil {
			t.Fatalf("%s: a collector answering 500 made the run succeed; stderr:\n%s", proto, stderr.String())
		}
		if !strings.Contains(stderr.String(), "HTTP 500") {
			t.Errorf("%s: stderr does not say what happened:\n%s", proto, stderr.String())
		}
		assertNoToken(t, proto+" stderr", stderr.Bytes(), token)
		last, err := os.ReadFile(filepath.Join(state, "telemetry-send.last.json"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(last, []byte(`"failed"`)) {
			t.Errorf("%s: last.json = %s", proto, last)
		}
		assertNoToken(t, proto+" last.json", last, token)
		m, err := os.ReadFile(filepath.Join(dir, "metrics-telemetry-send-send.prom")) // the send job's own file beside --metrics-file
		if err != nil {
			t.Fatal(err)
		}
		assertNoToken(t, proto+" metrics", m, token)
	}
	entries, _ := os.ReadDir(state)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(state, e.Name()))
		assertNoToken(t, "state file "+e.Name(), b, token)
	}

	hb := exec.Command(sendBin, append(common, "heartbeat", "--suricata-command", filepath.Join(dir, "none"))...)
	hb.Env = append(os.Environ(), "SSL_CERT_FILE="+certFile)
	if out, err := hb.CombinedOutput(); err != nil {
		t.Fatalf("heartbeat: %v\n%s", err, out)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.heartbeats) != 1 {
		t.Fatalf("collector got %d heartbeats", len(srv.heartbeats))
	}
	if !bytes.Contains(srv.heartbeats[0], []byte("HTTP 500")) {
		t.Errorf("heartbeat does not carry the last error: %s", srv.heartbeats[0])
	}
	assertNoToken(t, "heartbeat", srv.heartbeats[0], token)
}

func assertNoToken(t *testing.T, where string, b []byte, token string) {
	t.Helper()
	for _, form := range []string{token, base64.StdEncoding.EncodeToString([]byte(token)), base64.RawStdEncoding.EncodeToString([]byte(token))} {
		if bytes.Contains(b, []byte(form)) {
			t.Errorf("%s carries the token (%q):\n%s", where, form, b)
		}
	}
}
