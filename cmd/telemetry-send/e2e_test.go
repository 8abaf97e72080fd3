package main

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// buildBinaries compiles telemetry-send and dump-data once per test.
func buildBinaries(t *testing.T) (send, dump string) {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"telemetry-send", "dump-data"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), "github.com/suricron/suricron/cmd/"+name)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", name, err, out)
		}
	}
	return filepath.Join(dir, "telemetry-send"), filepath.Join(dir, "dump-data")
}

type req struct {
	key  string
	body []byte
}

// TestKillBetweenUploadAndCommit kills the real binary after the server
// has the batch but before the client could commit: the next run resends
// the same bytes under the same idempotency key, and dump-data -p printed
// exactly those bytes beforehand.
func TestKillBetweenUploadAndCommit(t *testing.T) {
	sendBin, dumpBin := buildBinaries(t)
	var mu sync.Mutex
	var reqs []req
	got := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, "want gzip", 400)
			return
		}
		body, _ := io.ReadAll(zr)
		mu.Lock()
		reqs = append(reqs, req{r.Header.Get("Idempotency-Key"), body})
		first := len(reqs) == 1
		mu.Unlock()
		if first {
			got <- struct{}{}
			select { // hold the answer until the client is dead
			case <-release:
			case <-time.After(10 * time.Second):
			}
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	defer close(release)

	dir := t.TempDir()
	certFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	eve := filepath.Join(dir, "eve.json")
	var b bytes.Buffer
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&b, `{"timestamp":"2024-05-08T18:00:%02d.5+0000","flow_id":%d,"event_type":"alert","src_ip":"10.1.2.%d","dest_ip":"93.184.216.%d","alert":{"signature_id":%d,"rev":2}}`+"\n", i%60, 1<<62+i, i, i, 2000000+i%2)
	}
	files := map[string]string{eve: b.String(), filepath.Join(dir, "sids"): "2000000\n", filepath.Join(dir, "token"): "tok-123\n"}
	for p, s := range files {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	common := []string{"--config", filepath.Join(dir, "none.toml"), "--eve", eve, "--state-dir", filepath.Join(dir, "state"),
		"--sids-file", filepath.Join(dir, "sids"), "--no-interfaces", "--protocol", "ndjson", "--start", "beginning", "--batch-size", "1000"}
	if err := os.WriteFile(filepath.Join(dir, "none.toml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "SSL_CERT_FILE="+certFile)

	dump := exec.Command(dumpBin, append([]string{"-p"}, common...)...)
	dump.Env = env
	preview, err := dump.Output()
	if err != nil {
		t.Fatalf("dump-data: %v", err)
	}

	run := func() *exec.Cmd {
		cmd := exec.Command(sendBin, append([]string{"--endpoint", srv.URL + "/ingest", "--token-file", filepath.Join(dir, "token"), "--retries", "1"}, common...)...)
		cmd.Env = env
		return cmd
	}
	first := run()
	var stderr bytes.Buffer
	first.Stderr = &stderr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-got:
	case <-time.After(20 * time.Second):
		first.Process.Kill()
		t.Fatalf("no upload; stderr: %s", stderr.String())
	}
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()

	second := run()
	if out, err := second.CombinedOutput(); err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	third := run()
	if out, err := third.CombinedOutput(); err != nil {
		t.Fatalf("third run: %v\n%s", err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reqs) != 2 {
		t.Fatalf("server saw %d requests, want 2 (the batch and its resend)", len(reqs))
	}
	if reqs[0].key == "" || reqs[0].key != reqs[1].key {
		t.Errorf("idempotency keys %q and %q differ", reqs[0].key, reqs[1].key)
	}
	if !bytes.Equal(reqs[0].body, reqs[1].body) {
		t.Error("the resent batch differs from the first")
	}
	if !bytes.Equal(preview, reqs[0].body) {
		t.Errorf("dump-data -p printed\n%s\nserver received\n%s", preview, reqs[0].body)
	}
	if n := bytes.Count(preview, []byte("\n")); n != 25 || bytes.Contains(preview, []byte("10.1.2.")) {
		t.Errorf("preview has %d events or an unmasked address", n)
	}
}
