package rules

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/suricron/suricron/internal/atomicfile"
)

// maxCommandOutput bounds what a test or reload command may make us hold;
// only its tail goes into the error.
const maxCommandOutput = 1 << 20

// prepare has write stream the new rules into a temp file next to the
// installed one and has the test command check it. It returns the temp
// file's name; the caller renames it into place (commit) or removes it. A
// failed test leaves the installed file untouched.
func (r *run) prepare(ctx context.Context, write func(io.Writer) error) (string, error) {
	out := r.cfg.Output
	dir := filepath.Dir(out)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create output dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, tempPattern(out))
	if err != nil {
		return "", fmt.Errorf("write %s: %w", out, err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err := write(tmp); err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return "", fmt.Errorf("chmod %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		return "", fmt.Errorf("fsync %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("close %s: %w", name, err)
	}
	if r.cfg.TestCommand != "" {
		outb, err := r.deps.Shell(ctx, expand(r.cfg.TestCommand, name), []string{"SURICRON_RULES=" + name})
		if err != nil {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			return "", fmt.Errorf("test command failed (%v), %s kept unchanged; output:\n%s", err, out, tail(outb))
		}
		r.log.Info("test command passed")
	}
	ok = true
	return name, nil
}

// commit renames the tested temp file into place and fsyncs the directory.
// The caller has recorded "reload pending" durably before, so a crash at
// any point from here on still ends in a reload by the next run.
func (r *run) commit(name string) error {
	rename := r.deps.Rename
	if rename == nil {
		rename = os.Rename
	}
	if err := rename(name, r.cfg.Output); err != nil {
		os.Remove(name)
		return fmt.Errorf("install %s: %w", r.cfg.Output, err)
	}
	return atomicfile.SyncDir(filepath.Dir(r.cfg.Output))
}

func tempPattern(out string) string { return "." + filepath.Base(out) + ".tmp-*" }

// removeLeftovers deletes temp files a killed run left beside the output.
// It runs under the lock, so no other run of this state dir owns them.
func (r *run) removeLeftovers() {
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(r.cfg.Output), tempPattern(r.cfg.Output)))
	for _, p := range left {
		if err := os.Remove(p); err != nil {
			r.log.Warn("cannot remove a temp file left by an interrupted run", "file", p, "err", err)
			continue
		}
		r.log.Info("removed a temp file left by an interrupted run", "file", p)
	}
}

// reload runs the reload command; on success it clears the pending flag
// in the state so the next run does not reload again.
func (r *run) reload(ctx context.Context, st *state) error {
	if r.cfg.ReloadCommand == "" {
		if st.ReloadPending {
			st.ReloadPending = false
			return r.writeState(st)
		}
		return nil
	}
	outb, err := r.deps.Shell(ctx, expand(r.cfg.ReloadCommand, r.cfg.Output), []string{"SURICRON_RULES=" + r.cfg.Output})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("rules installed in %s but the reload command failed (%v), the next run retries it; output:\n%s", r.cfg.Output, err, tail(outb))
	}
	// suricatasc exits 0 even when Suricata answers NOK.
	if strings.Contains(r.cfg.ReloadCommand, "suricatasc") && bytes.Contains(outb, []byte("NOK")) {
		return fmt.Errorf("rules installed in %s but suricatasc answered NOK, the next run retries; output:\n%s", r.cfg.Output, tail(outb))
	}
	r.log.Info("reload command done")
	st.ReloadPending = false
	return r.writeState(st)
}

// expand replaces {rules} with the shell-quoted path.
func expand(cmdline, path string) string {
	return strings.ReplaceAll(cmdline, "{rules}", shellQuote(path))
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func tail(b []byte) string {
	const keep = 4096
	if len(b) > keep {
		b = append([]byte("..."), b[len(b)-keep:]...)
	}
	return strings.TrimRight(string(b), "\n")
}

// capWriter keeps at most max bytes, dropping the oldest.
type capWriter struct {
	buf bytes.Buffer
	max int
}

func (w *capWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	if over := w.buf.Len() - w.max; over > 0 {
		w.buf.Next(over)
	}
	return len(p), nil
}

// commandWaitDelay is how long shell waits, after killing a cancelled
// command's process group, for its output pipes to close.
const commandWaitDelay = 5 * time.Second

// shell runs cmdline with /bin/sh -c, stdout and stderr combined. The
// command gets its own process group and cancelling ctx (SIGTERM, SIGINT)
// kills the whole group: killing only the shell left its children (suricata
// -T, a sleep in a wrapper) running and holding the output pipe, so the run
// waited for them instead of exiting.
func shell(ctx context.Context, cmdline string, env []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", cmdline)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = commandWaitDelay
	w := &capWriter{max: maxCommandOutput}
	cmd.Stdout, cmd.Stderr = w, w
	err := cmd.Run()
	return w.buf.Bytes(), err
}

var versionRE = regexp.MustCompile(`version (\d+\.\d+\.\d+)`)

// DetectSuricataVersion asks the suricata binary on PATH for its version;
// "" when there is none.
func DetectSuricataVersion(ctx context.Context) string {
	bin, err := exec.LookPath("suricata")
	if err != nil {
		return ""
	}
	out, err := exec.CommandContext(ctx, bin, "-V").CombinedOutput()
	if err != nil {
		return ""
	}
	if m := versionRE.FindSubmatch(out); m != nil {
		return string(m[1])
	}
	return ""
}
