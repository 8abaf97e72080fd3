package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/suricron/suricron/internal/printable"
)

// DefaultExecTimeout bounds one run of the hook.
const DefaultExecTimeout = 60 * time.Second

// ExitTempFail is the hook's "try again later" (sysexits EX_TEMPFAIL).
const ExitTempFail = 75

// Exec runs a local command with the digest document on stdin.
//
// The command line is split at white space into the program and its
// arguments: no shell runs, and quotes, $ and globs are passed literally,
// so nothing in the configuration is interpreted twice. A hook that needs
// a pipeline is a script. Exit 0 means delivered, 75 means try again later
// (retried like a webhook's 5xx), anything else is a refusal. The command
// runs in its own process group, which is killed when the timeout expires
// or the run is interrupted, so a hook's children do not outlive it.
type Exec struct {
	Argv    []string
	Timeout time.Duration // per attempt; 0 means DefaultExecTimeout
	Retry   Retry
	Env     []string // extra KEY=value; SURICRON_BATCH is always set
}

// NewExec splits cmdline per the rule above.
func NewExec(cmdline string) (*Exec, error) {
	argv := strings.Fields(cmdline)
	if len(argv) == 0 {
		return nil, errors.New("exec: empty command")
	}
	return &Exec{Argv: argv}, nil
}

// Name implements Destination.
func (e *Exec) Name() string { return "exec " + printable.String(e.Argv[0]) }

// Deliver implements Destination.
func (e *Exec) Deliver(ctx context.Context, d *Digest) error {
	if !bytesValidJSON(d.JSON) {
		return &Error{Dest: e.Name(), Outcome: Permanent, Err: errors.New("digest document is not valid JSON")}
	}
	return e.Retry.run(ctx, e.Name(), func(ctx context.Context) (Outcome, time.Duration, error) {
		return e.once(ctx, d)
	})
}

func (e *Exec) once(parent context.Context, d *Digest) (Outcome, time.Duration, error) {
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = DefaultExecTimeout
	}
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.Argv[0], e.Argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The whole group: a shell script's children hold its pipes.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	// A grandchild that escaped the group could keep stderr open; do
	// not wait for it past the kill.
	cmd.WaitDelay = 2 * time.Second
	cmd.Stdin = bytes.NewReader(d.JSON)
	cmd.Env = append(append(os.Environ(), e.Env...), "SURICRON_BATCH="+d.Batch)
	var stderr limitedBuffer
	stderr.max = 8 << 10
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err == nil {
		return Delivered, 0, nil
	}
	line := ""
	if s := strings.TrimSpace(stderr.String()); s != "" {
		l, _, _ := strings.Cut(s, "\n")
		line = ": " + cut(printable.String(strings.TrimSpace(l)), 200)
	}
	if parent.Err() != nil {
		return Temporary, 0, fmt.Errorf("interrupted: %w", parent.Err())
	}
	if ctx.Err() != nil {
		return Temporary, 0, fmt.Errorf("killed after %s%s", timeout, line)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.ExitCode() == ExitTempFail {
			return Temporary, 0, fmt.Errorf("exit %d (temporary)%s", ExitTempFail, line)
		}
		return Permanent, 0, fmt.Errorf("%s%s", ee.ProcessState, line)
	}
	// Could not start: a missing program is a configuration error.
	return Permanent, 0, fmt.Errorf("start: %w", err)
}

// limitedBuffer keeps the first max bytes written and discards the rest
// without failing the writer (a chatty hook must not get SIGPIPE).
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
