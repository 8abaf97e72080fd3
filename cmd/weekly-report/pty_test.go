package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/creack/pty"
)

// TestProgressOnTerminalOnly (issue 20) runs the built binary on an ad-hoc
// report three ways: with stderr on a pseudo-terminal the progress bar
// (bytes of the total, ETA) appears there; with --log-format json on the same terminal,
// or with stderr a pipe as under cron, it does not. stdout, the report,
// never carries it.
func TestProgressOnTerminalOnly(t *testing.T) {
	bin, err := exec.LookPath("weekly-report")
	if err != nil {
		t.Fatal(err)
	}
	eve := filepath.Join(t.TempDir(), "eve.json")
	var b strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&b, `{"timestamp":"2026-11-10T08:%02d:00.000000+0000","event_type":"flow","src_ip":"192.168.1.%d","src_port":5000,"dest_ip":"93.184.216.34","dest_port":443,"proto":"TCP","flow":{"pkts_toserver":3,"pkts_toclient":2,"bytes_toserver":100,"bytes_toclient":200}}`+"\n", i%60, i%250)
	}
	if err := os.WriteFile(eve, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(terminal bool, extra ...string) (stdout, stderr string) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--files", eve, "--week", "2026-W46", "--format", "json"}, extra...)...)
		cmd.Env = append(os.Environ(), "TZ=UTC")
		var out, errb bytes.Buffer
		cmd.Stdout = &out
		if !terminal {
			cmd.Stderr = &errb
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v: %v\n%s", cmd.Args, err, errb.String())
			}
			return out.String(), errb.String()
		}
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Skipf("no pseudo-terminal: %v", err)
		}
		defer ptmx.Close()
		cmd.Stderr = tty
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		tty.Close()
		// Read the terminal until the child closes it (EIO on Linux).
		var term bytes.Buffer
		_, _ = io.Copy(&term, ptmx)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%v: %v\n%s", cmd.Args, err, term.String())
		}
		return out.String(), term.String()
	}
	out, term := run(true)
	// Bytes read of the total and [elapsed:ETA]; the rate joins them once
	// time has passed, which a test cannot wait for without timing.
	if !regexp.MustCompile(`reading eve .*\( *[0-9.]+ [KMG]?i?B/[0-9.]+ MiB.*\[[0-9]+s:[0-9]+s\]`).MatchString(term) {
		t.Errorf("no progress bar with bytes and ETA on the terminal: %q", term)
	}
	if strings.Contains(out, "reading eve") || !strings.Contains(out, `"total"`) {
		t.Errorf("stdout is not just the report: %.200q", out)
	}
	if _, term := run(true, "--log-format", "json"); strings.Contains(term, "reading eve") {
		t.Errorf("progress with --log-format json: %q", term)
	}
	if _, errb := run(false); errb != "" {
		t.Errorf("stderr not a terminal got %q", errb)
	}
}
