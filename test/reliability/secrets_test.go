package reliability

import (
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/suricron/suricron/internal/mail/mailtest"
)

const (
	secretToken    = "TOKEN-s3cr3t-9f8e7d6c"
	secretOinkcode = "OINK-s3cr3t-1a2b3c4d"
	secretPassword = "PASS-s3cr3t-4d5e6f70"
)

// hasMetricsFlag reports whether a command offers --metrics-file (added by
// the operations work); the scan then covers that file too.
func hasMetricsFlag(t *testing.T, name string) bool {
	return strings.Contains(run(t, cleanEnv(t), name, "--help").stdout, "--metrics-file")
}

// TestSecretsNeverShown runs every command with the token, the oinkcode and
// the SMTP password set, at debug level, against servers that succeed, fail
// and (for telemetry) echo the Authorization header back in an error body,
// and scans stdout, stderr, the mails, the state dirs and the metrics files.
func TestSecretsNeverShown(t *testing.T) {
	dir := t.TempDir()
	conf := emptyConfig(t, dir)
	eve := filepath.Join(dir, "eve.json")
	writeFile(t, eve, alerts(1, 20), 0o644)
	tokenFile := filepath.Join(dir, "token")
	oinkFile := filepath.Join(dir, "oinkcode")
	passFile := filepath.Join(dir, "password")
	writeFile(t, tokenFile, secretToken+"\n", 0o600)
	writeFile(t, oinkFile, secretOinkcode+"\n", 0o600)
	writeFile(t, passFile, secretPassword+"\n", 0o600)
	state := filepath.Join(dir, "state")
	metrics := filepath.Join(dir, "metrics")

	// An HTTPS server for rules (the oinkcode is in the URL path) and
	// telemetry; on /fail it reflects the request, secrets included.
	rules := tarGz(t, tarMember{h: tarHeader("rules/a.rules"), body: `alert tcp any any -> any any (msg:"ok"; sid:1; rev:1;)` + "\n"})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		switch {
		case strings.HasPrefix(r.URL.Path, "/fail"):
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, "rejected "+r.Header.Get("Authorization")+" for "+r.URL.String())
		case strings.HasSuffix(r.URL.Path, ".tar.gz"):
			w.Write(rules)
		case strings.HasSuffix(r.URL.Path, "/sensorinfo"):
			io.WriteString(w, `{"status":"ACTIVE"}`)
		default:
			w.WriteHeader(http.StatusCreated)
		}
	}))
	defer srv.Close()
	ca := filepath.Join(dir, "ca.pem")
	writeFile(t, ca, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})), 0o644)
	env := cleanEnv(t, "SSL_CERT_FILE="+ca)

	smtpOK := mailtest.Start(t, mailtest.Options{STARTTLS: true, AuthUser: "sensor", AuthPass: secretPassword})
	smtpBad := mailtest.Start(t, mailtest.Options{STARTTLS: true, AuthUser: "sensor", AuthPass: "other"})

	type call struct {
		name string
		args []string
	}
	common := []string{"-c", conf, "--log-level", "debug", "--eve", eve, "--state-dir", state, "--start", "beginning"}
	digest := func(s *mailtest.Server) []string {
		return append(common, "--smtp", s.URL()+"?starttls=required", "--smtp-ca-file", s.CAFile,
			"--smtp-username", "sensor", "--smtp-password-file", passFile, "--to", "a@sensor.test")
	}
	tel := func(endpoint string, proto string) []string {
		return append(common, "--endpoint", endpoint, "--token-file", tokenFile, "--all-alerts", "--no-interfaces",
			"--protocol", proto, "--retries", "1", "--reset-state")
	}
	calls := []call{
		{"rules-update", []string{"-c", conf, "--log-level", "debug", "--state-dir", state, "--oinkcode-file", oinkFile,
			"--url", srv.URL + "/%oinkcode%/etpro.rules.tar.gz", "--output", filepath.Join(dir, "r", "suricata.rules"), "--min-rules", "1"}},
		{"rules-update", []string{"-c", conf, "--log-level", "debug", "--state-dir", state, "--oinkcode-file", oinkFile,
			"--url", srv.URL + "/fail/%oinkcode%/etpro.rules.tar.gz", "--output", filepath.Join(dir, "r", "suricata.rules"), "--min-rules", "1"}},
		{"alert-digest", digest(smtpOK)},
		{"alert-digest", append(digest(smtpBad), "--reset-state")},
		{"telemetry-send", tel(srv.URL+"/ingest", "ndjson")},
		{"telemetry-send", tel(srv.URL+"/fail", "ndjson")},
		{"telemetry-send", tel(srv.URL+"/fail", "etpro")},
		{"telemetry-send", append([]string{"heartbeat"}, tel(srv.URL+"/fail", "etpro")...)},
		{"telemetry-send", append([]string{"status"}, tel(srv.URL, "etpro")...)},
		{"telemetry-send", append([]string{"status"}, tel(srv.URL+"/fail", "etpro")...)},
		{"dump-data", append(common, "--all-alerts", "--no-interfaces", "-p")},
		{"weekly-report", append(common, "--mail", "--smtp", smtpOK.URL()+"?starttls=required", "--smtp-ca-file", smtpOK.CAFile,
			"--smtp-username", "sensor", "--smtp-password-file", passFile, "--to", "a@sensor.test")},
		{"weekly-report", append(common, "--mail", "--smtp", smtpBad.URL()+"?starttls=required", "--smtp-ca-file", smtpBad.CAFile,
			"--smtp-username", "sensor", "--smtp-password-file", passFile, "--to", "a@sensor.test")},
	}
	var outputs []string
	for _, c := range calls {
		args := c.args
		if c.name != "dump-data" && hasMetricsFlag(t, c.name) {
			args = append(args, "--metrics-file", filepath.Join(metrics, c.name+".prom"))
		}
		r := run(t, env, c.name, args...)
		t.Logf("%s %s: exit %d", c.name, args[len(args)-1], r.code)
		outputs = append(outputs, c.name+" stdout:"+r.stdout, c.name+" stderr:"+r.stderr)
	}
	if n := len(smtpOK.Messages()); n < 2 {
		t.Errorf("%d mails delivered; the scan would miss the mail bodies", n)
	}
	for _, m := range smtpOK.Messages() {
		outputs = append(outputs, "mail:"+string(m.Data))
	}
	for _, d := range []string{state, metrics} {
		for p, content := range dirState(t, d) {
			outputs = append(outputs, d+p+":"+content)
		}
	}
	for _, out := range outputs {
		for _, s := range []string{secretToken, secretOinkcode, secretPassword} {
			if strings.Contains(out, s) {
				where, _, _ := strings.Cut(out, ":")
				t.Errorf("secret %s appears in %s", s, where)
			}
		}
	}
}

func tarHeader(name string) (h tarHeaderT) {
	h.Name, h.Typeflag = name, tarTypeReg
	return h
}

// TestStateFileModes: after every command has run, the files in its state
// dir (and the caches there) are 0600 and the directories 0700: checkpoints,
// pending batch ids and aggregates describe the network.
func TestStateFileModes(t *testing.T) {
	dir := t.TempDir()
	conf := emptyConfig(t, dir)
	eve := filepath.Join(dir, "eve.json")
	writeFile(t, eve, alerts(1, 20), 0o644)
	col := newCollector(t)
	writeFile(t, filepath.Join(dir, "token"), "tok\n", 0o600)
	src := filepath.Join(dir, "rules.tar.gz")
	writeFile(t, src, string(tarGz(t, tarMember{h: tarHeader("rules/a.rules"), body: `alert tcp any any -> any any (msg:"ok"; sid:1; rev:1;)` + "\n"})), 0o644)
	sink := newDigestSink(t, "")
	env := cleanEnv(t, "SSL_CERT_FILE="+col.caFile)
	old := setUmask(0o022) // a usual root umask; the modes must not depend on it
	defer setUmask(old)
	states := map[string][]string{
		"alert-digest":   {"--start", "beginning", "--sendmail", sink.script},
		"telemetry-send": {"--start", "beginning", "--all-alerts", "--no-interfaces", "--protocol", "ndjson", "--endpoint", col.srv.URL, "--token-file", filepath.Join(dir, "token")},
		"weekly-report":  {"--start", "beginning", "--collect-only"},
		"rules-update":   {"--url", "file://" + src, "--output", filepath.Join(dir, "out", "suricata.rules"), "--min-rules", "1"},
	}
	for name, extra := range states {
		sd := filepath.Join(dir, "state-"+name)
		args := append([]string{"-c", conf, "--state-dir", sd}, extra...)
		if name != "rules-update" {
			args = append(args, "--eve", eve)
		}
		run(t, env, name, args...).want(t, 0, name)
		n := 0
		filepath.WalkDir(sd, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				t.Error(err)
				return nil
			}
			fi, _ := d.Info()
			perm := fi.Mode().Perm()
			switch {
			case d.IsDir() && perm&0o077 != 0:
				t.Errorf("%s: directory %s is %o, want 0700", name, p, perm)
			case !d.IsDir() && perm&0o077 != 0:
				t.Errorf("%s: file %s is %o, want 0600", name, p, perm)
			}
			n++
			return nil
		})
		if n < 2 {
			t.Errorf("%s wrote nothing to its state dir", name)
		}
	}
}
