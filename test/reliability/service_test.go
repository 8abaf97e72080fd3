package reliability

import (
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// serviceRun is a command in service mode (--every), stopped with SIGTERM.
type serviceRun struct {
	name   string
	cmd    *exec.Cmd
	stderr bytes.Buffer
	cancel context.CancelFunc
}

func startService(t *testing.T, env []string, name string, args ...string) *serviceRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	s := &serviceRun{name: name, cancel: cancel}
	s.cmd = exec.CommandContext(ctx, bin(name), args...)
	s.cmd.Env = env
	s.cmd.Stderr = &s.stderr
	if err := s.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cancel() })
	return s
}

// stop sends SIGTERM and expects a clean exit (0) within 20 s.
func (s *serviceRun) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s --every after SIGTERM: %v\n%s", s.name, err, s.stderr.String())
		}
	case <-time.After(20 * time.Second):
		s.cancel()
		t.Errorf("%s --every did not stop within 20 s of SIGTERM", s.name)
	}
}

// startBin starts a command and returns it with a function that waits for
// its result.
func startBin(t *testing.T, env []string, name string, args ...string) (*exec.Cmd, func() result) {
	t.Helper()
	cmd := exec.Command(bin(name), args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, func() result {
		err := cmd.Wait()
		r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return r
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
