// Package clickhousetest starts a real clickhouse-server (Debian's 18.16 or
// any later release) for tests: a private config in a temp dir, 127.0.0.1
// only, free HTTP and native ports, every other listener off. It is stopped
// by its pid when the test ends. Tests skip when the server is not
// installed, and fail instead under SURICRON_REQUIRE_TOOLS=1 (as CI sets),
// so a missing package cannot turn CI green.
package clickhousetest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/sharedtest"
)

// Server is one running clickhouse-server.
type Server struct {
	URL      string // http://127.0.0.1:PORT
	HTTPPort int
	TCPPort  int
	Dir      string
	cmd      *exec.Cmd
	exited   chan struct{}
	t        testing.TB
}

// Options shape the server's config.
type Options struct {
	// Users adds password users (name → password) besides "default",
	// which has no password.
	Users map[string]string
	// Clusters is raw <remote_servers> content (cluster definitions).
	Clusters string
	// TCPPort, when set, is used instead of a free port (a cluster config
	// must name its shards' ports before they start).
	TCPPort int
}

// Binary returns the clickhouse-server path or skips the test.
func Binary(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/clickhouse-server", "/usr/sbin/clickhouse-server"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return p
	}
	if os.Getenv(sharedtest.RequireToolsEnv) == "1" {
		t.Fatalf("clickhouse-server not installed (%s=1)", sharedtest.RequireToolsEnv)
	}
	t.Skip("clickhouse-server not installed (apt-get install clickhouse-server clickhouse-client)")
	return ""
}

// FreePort returns a TCP port free on 127.0.0.1 at the time of the call.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start launches a server and waits until GET /ping answers.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	Binary(t) // skip early, before making dirs
	dir := t.TempDir()
	s := &Server{Dir: dir, HTTPPort: FreePort(t), TCPPort: opts.TCPPort, t: t}
	if s.TCPPort == 0 {
		s.TCPPort = FreePort(t)
	}
	s.URL = fmt.Sprintf("http://127.0.0.1:%d", s.HTTPPort)
	for _, d := range []string{"data", "tmp", "log", "user_files", "format_schemas"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "users.xml"), []byte(usersXML(opts.Users)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.xml"), []byte(s.configXML(opts)), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// configXML names only private paths and loopback ports. Without
// interserver_http_port, mysql_port and the like the server does not open
// them.
func (s *Server) configXML(opts Options) string {
	var b strings.Builder
	p := func(name string) string { return filepath.Join(s.Dir, name) + "/" }
	fmt.Fprintf(&b, `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>%[1]s/log/server.log</log><errorlog>%[1]s/log/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>%[2]d</http_port>
  <tcp_port>%[3]d</tcp_port>
  <path>%[4]s</path>
  <tmp_path>%[5]s</tmp_path>
  <user_files_path>%[6]s</user_files_path>
  <format_schema_path>%[7]s</format_schema_path>
  <users_config>%[1]s/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <timezone>UTC</timezone>
`, s.Dir, s.HTTPPort, s.TCPPort, p("data"), p("tmp"), p("user_files"), p("format_schemas"))
	if opts.Clusters != "" {
		fmt.Fprintf(&b, "  <remote_servers>%s</remote_servers>\n", opts.Clusters)
	}
	b.WriteString("</yandex>\n")
	return b.String()
}

func usersXML(users map[string]string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default>
`)
	for name, pw := range users {
		fmt.Fprintf(&b, "    <%[1]s><password>%[2]s</password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></%[1]s>\n", name, pw)
	}
	b.WriteString("  </users>\n</yandex>\n")
	return b.String()
}

// Restart starts the server again after Kill or Stop (same data dir and
// ports) and waits until it answers.
func (s *Server) Restart() {
	t := s.t
	t.Helper()
	cmd := exec.Command(Binary(t), "--config-file="+filepath.Join(s.Dir, "config.xml"))
	cmd.Dir = s.Dir
	out, err := os.Create(filepath.Join(s.Dir, "log", "stdout.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		t.Fatalf("start clickhouse-server: %v", err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { c.Wait(); out.Close(); close(done) }(cmd, s.exited)
	// Wait on the condition (ping answers) or the process dying, with a
	// generous cap for a loaded 2-core machine.
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-s.exited:
			log, _ := os.ReadFile(filepath.Join(s.Dir, "log", "error.log"))
			t.Fatalf("clickhouse-server exited at start: %s", tail(log))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("clickhouse-server did not answer /ping on %s", s.URL)
		}
	}
}

// Stop ends the server by its pid (SIGTERM, then SIGKILL) and waits for it.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// Query runs sql over HTTP and returns the body (TSV by default); any
// non-200 answer fails the test.
func (s *Server) Query(sql string) string {
	s.t.Helper()
	out, err := s.TryQuery(sql)
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

// TryQuery is Query returning the error.
func (s *Server) TryQuery(sql string) (string, error) {
	resp, err := http.Post(s.URL+"/?"+url.Values{"database": {"default"}}.Encode(), "text/plain", bytes.NewBufferString(sql))
	if err != nil {
		return "", fmt.Errorf("query %q: %w", sql, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("query %q: %s: %s", sql, resp.Status, b)
	}
	return string(b), nil
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
