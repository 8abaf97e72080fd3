package soak

import (
	"bufio"
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/buger/jsonparser"
	"github.com/klauspost/compress/gzip"

	"github.com/suricron/suricron/internal/mail/mailtest"
)

// Batch is one delivery a receiver saw: its id and the records in it.
type Batch struct {
	ID      string
	Records []int
	Claimed int // alerts the delivery says it carries (X-Suricron-Alerts)
}

// SendmailScript writes a sendmail stand-in that stores each message in dir,
// atomically (temp file, then rename), so a message killed halfway through
// is never counted. It exits 75 when it cannot store, like sendmail.
func SendmailScript(path, dir string) error {
	script := fmt.Sprintf("#!/bin/sh\n# soak sendmail: store one message per file, atomically\nt=$(mktemp %q/.tmp.XXXXXX) || exit 75\ncat > \"$t\" || exit 75\nmv \"$t\" \"$t.msg\" || exit 75\nmv \"$t.msg\" %q/msg.$(date +%%s%%N).$$ || exit 75\n", dir, dir)
	return os.WriteFile(path, []byte(script), 0o755)
}

// The digest's text part (README "alert-digest"): a section per signature
// headed "## N. sid 1:SID rev R | COUNT alerts | ...", then the others as
// rows "COUNT  1:SID  SIGNATURE" after "Other signatures (beyond ...".
var (
	digestSection = regexp.MustCompile(`^## \d+\. sid 1:(\d+) rev \d+ \| ([\d,]+) alerts?`)
	digestOther   = regexp.MustCompile(`^ +([\d,]+)  1:(\d+) +\S`)
)

// digestBatch reads one digest mail: batch id, alert count and, per
// signature, the record named by the sid (count times).
func digestBatch(raw []byte) (Batch, error) {
	p, err := mailtest.ParseMessage(raw)
	if err != nil {
		return Batch{}, err
	}
	b := Batch{ID: p.Header.Get("X-Suricron-Batch")}
	if b.ID == "" {
		return b, fmt.Errorf("no X-Suricron-Batch header")
	}
	if b.Claimed, err = strconv.Atoi(p.Header.Get("X-Suricron-Alerts")); err != nil {
		return b, fmt.Errorf("X-Suricron-Alerts: %w", err)
	}
	add := func(countText, sidText string) error {
		count, _ := strconv.Atoi(strings.ReplaceAll(countText, ",", ""))
		sid, _ := strconv.Atoi(sidText)
		n := sid - soakSIDBase
		if n < 0 || n >= 1<<24 {
			return fmt.Errorf("signature %s is not a soak record", sidText)
		}
		for i := 0; i < count; i++ {
			b.Records = append(b.Records, n)
		}
		return nil
	}
	others := false
	for _, line := range strings.Split(strings.ReplaceAll(p.Text, "\r\n", "\n"), "\n") {
		switch m := digestSection.FindStringSubmatch(line); {
		case m != nil:
			if err := add(m[2], m[1]); err != nil {
				return b, err
			}
			continue
		case strings.HasPrefix(line, "Other signatures (beyond"):
			others = true
			continue
		case line == "-- ":
			others = false
		}
		if m := digestOther.FindStringSubmatch(line); others && m != nil {
			if err := add(m[1], m[2]); err != nil {
				return b, err
			}
		}
	}
	return b, nil
}

// ReadMailDir parses every stored digest in dir (the sendmail script's).
func ReadMailDir(dir string) ([]Batch, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Batch
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "msg.") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		b, err := digestBatch(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		out = append(out, b)
	}
	return out, nil
}

// readMaildir parses the digests for rcpt in a postfix Maildir.
func readMaildir(maildir, rcpt string) ([]Batch, error) {
	msgs, err := mailtest.ReadMaildir(maildir)
	if err != nil {
		return nil, err
	}
	var out []Batch
	for _, m := range msgs {
		if !strings.Contains(m.Header.Get("To"), rcpt) && !strings.Contains(m.Header.Get("X-Original-To"), rcpt) {
			continue
		}
		b, err := digestBatch(m.Raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Path, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// collector is the recording HTTPS receiver for telemetry-send --protocol
// ndjson: it records a batch only once its whole body arrived and decoded,
// then acknowledges it; a client killed mid-request leaves no record.
type collector struct {
	srv    *httptest.Server
	CAFile string

	mu      sync.Mutex
	batches []Batch
	bad     []string
	tr      *tracer
}

func startCollector(dir string) (*collector, error) {
	c := &collector{}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(c.handle))
	// Killed clients leave half-done TLS handshakes by design: not news.
	c.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	c.srv.StartTLS()
	c.CAFile = filepath.Join(dir, "collector-ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.srv.Certificate().Raw})
	if err := os.WriteFile(c.CAFile, pemBytes, 0o644); err != nil {
		c.srv.Close()
		return nil, err
	}
	return c, nil
}

func (c *collector) URL() string { return c.srv.URL + "/ingest" }

func (c *collector) handle(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, "bad gzip", http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(io.LimitReader(body, 256<<20))
	if err != nil {
		// The client died mid-body: nothing was acknowledged.
		http.Error(w, "short body", http.StatusBadRequest)
		return
	}
	b := Batch{ID: r.Header.Get("Idempotency-Key")}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		n, err := jsonparser.GetInt(sc.Bytes(), "flow_id")
		if err != nil {
			c.mu.Lock()
			c.bad = append(c.bad, fmt.Sprintf("event without flow_id: %.200s", sc.Bytes()))
			c.mu.Unlock()
			continue
		}
		b.Records = append(b.Records, int(n))
	}
	b.Claimed = len(b.Records)
	c.mu.Lock()
	if b.ID == "" {
		c.bad = append(c.bad, "batch without Idempotency-Key")
	}
	c.batches = append(c.batches, b)
	c.mu.Unlock()
	if len(b.Records) > 0 {
		c.tr.logf("collector batch %s: %d records %d..%d", short(b.ID), len(b.Records), b.Records[0], b.Records[len(b.Records)-1])
	}
	w.WriteHeader(http.StatusAccepted)
}

func (c *collector) snapshot() ([]Batch, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Batch(nil), c.batches...), append([]string(nil), c.bad...)
}

func (c *collector) close() { c.srv.Close() }
