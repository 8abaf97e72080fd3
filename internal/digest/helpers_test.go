package digest

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/checkpoint"
	"github.com/suricron/suricron/internal/mail"
)

// testNow is the fixed clock of every in-process run.
var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const testHost = "sensor1.example"

// alert describes one synthetic alert line.
type alert struct {
	ts       time.Time
	sid      int64
	sig, cat string
	sev      int
	src, dst string
	dport    int
	flowID   uint64
}

func (a alert) line(t testing.TB) []byte {
	t.Helper()
	if a.ts.IsZero() {
		a.ts = time.Date(2025, 6, 1, 12, 0, 0, 0, time.FixedZone("", -6*3600))
	}
	if a.cat == "" {
		a.cat = "Misc activity"
	}
	if a.sig == "" {
		a.sig = "TEST signature"
	}
	rec := map[string]any{
		"timestamp": a.ts.Format("2006-01-02T15:04:05.000000-0700"), "flow_id": a.flowID,
		"in_iface": "eth0", "event_type": "alert", "src_ip": a.src, "src_port": 40000,
		"dest_ip": a.dst, "dest_port": a.dport, "proto": "TCP",
		"alert": map[string]any{"action": "allowed", "gid": 1, "signature_id": a.sid, "rev": 1,
			"signature": a.sig, "category": a.cat, "severity": a.sev},
	}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// appendLines appends raw lines to path.
func appendLines(t testing.TB, path string, lines ...[]byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if _, err := f.Write(l); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func appendAlerts(t testing.TB, path string, as ...alert) {
	t.Helper()
	for _, a := range as {
		appendLines(t, path, a.line(t))
	}
}

// env is a temp eve.json plus state dir.
type env struct {
	dir, eve, state string
	stdout          bytes.Buffer
	logs            bytes.Buffer
}

func newEnv(t testing.TB) *env {
	t.Helper()
	d := t.TempDir()
	e := &env{dir: d, eve: filepath.Join(d, "eve.json"), state: filepath.Join(d, "state")}
	appendLines(t, e.eve) // exists, empty
	return e
}

func (e *env) config() Config {
	return Config{Eve: e.eve, StateDir: e.state, Start: checkpoint.StartBeginning,
		Mail: mail.Options{To: []string{"soc@example.org"}, From: "suricron@sensor1.example", Timeout: 5 * time.Second}}
}

func (e *env) deps() Deps {
	return Deps{
		Now: func() time.Time { return testNow }, Hostname: testHost, Stdout: &e.stdout,
		Logger: slog.New(slog.NewTextHandler(&e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

func (e *env) run(t testing.TB, cfg Config) (*Result, error) {
	t.Helper()
	e.stdout.Reset()
	return run(context.Background(), cfg, e.deps())
}

// statePos returns the committed position (nil state: zero).
func (e *env) statePos(t testing.TB) (checkpoint.FilePos, *checkpoint.Pending) {
	t.Helper()
	st, err := checkpoint.ReadState(e.state, Consumer, e.eve)
	if os.IsNotExist(err) {
		return checkpoint.FilePos{}, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return st.Pos, st.Pending
}
