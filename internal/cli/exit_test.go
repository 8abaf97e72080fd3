package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/suricron/suricron/internal/atomicfile"
	"github.com/suricron/suricron/internal/checkpoint"
	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/lock"
	"github.com/suricron/suricron/internal/mail"
	"github.com/suricron/suricron/internal/notify"
	"github.com/suricron/suricron/internal/rules/fetch"
	"github.com/suricron/suricron/internal/secretfile"
)

// TestExitCodeTable: the one table, on errors as the domains make them
// (the real lock, state decoder, secret reader and state-dir check where
// they are cheap to provoke), wrapped as their callers wrap them.
func TestExitCodeTable(t *testing.T) {
	dir := t.TempDir()
	held, err := lock.TryLock(filepath.Join(dir, "x.lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Unlock()
	_, errLocked := lock.TryLock(filepath.Join(dir, "x.lock"))
	_, errCorrupt := checkpoint.DecodeState([]byte(`{"version":1`), "c", "/eve.json")
	_, errSecret := secretfile.Read(filepath.Join(dir, "missing"))
	_, errMailConfig := mail.Options{SMTP: "smtp://mx:25?nope=1"}.NewSender(nil)
	open := filepath.Join(dir, "open")
	os.Mkdir(open, 0o700)
	os.Chmod(open, 0o777)
	errUnsafe := atomicfile.PrivateDir(open)
	for _, e := range []error{errLocked, errCorrupt, errSecret, errUnsafe, errMailConfig} {
		if e == nil {
			t.Fatal("a domain error could not be provoked")
		}
	}
	tempMail := &mail.DeliveryError{Transport: "smtp", Server: "mx:25", Stage: "dial", Temporary: true, Err: errors.New("refused")}
	permMail := &mail.DeliveryError{Transport: "smtp", Server: "mx:25", Stage: "tls", Err: errors.New("bad cert")}
	for _, tt := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, exitcode.ExitOK},
		{"plain", errors.New("boom"), exitcode.ExitFailure},
		{"coded", fmt.Errorf("x: %w", exitcode.Data(errors.New("bad"))), exitcode.ExitData},
		{"kong", &kong.ParseError{}, exitcode.ExitUsage},
		{"canceled", fmt.Errorf("read: %w", context.Canceled), exitcode.ExitInterrupted},
		{"lock busy", fmt.Errorf("checkpoint: %w", errLocked), exitcode.ExitTempFail},
		{"corrupt state", fmt.Errorf("state s.json: %w; run once with --reset-state", errCorrupt), exitcode.ExitData},
		{"rotation", fmt.Errorf("open eve file: %w (rotated files exist: %w)", os.ErrNotExist, checkpoint.ErrRotating), exitcode.ExitTempFail},
		{"secret file", fmt.Errorf("--smtp-password-file: %w", errSecret), exitcode.ExitUsage},
		{"unsafe state dir", errUnsafe, exitcode.ExitUsage},
		{"mail config", fmt.Errorf("--smtp-password-file: %w", errMailConfig), exitcode.ExitUsage},
		{"download broken", errors.Join(errors.New("gzip: invalid header"), fetch.ErrBadData), exitcode.ExitData},
		{"source down", fmt.Errorf("get: %w", fetch.ErrUnavailable), exitcode.ExitTempFail},
		// Broken wins over unavailable, as rules-update always decided.
		{"broken and down", errors.Join(fetch.ErrUnavailable, fetch.ErrBadData), exitcode.ExitData},
		{"mail temporary", fmt.Errorf("mail report: %w", tempMail), exitcode.ExitTempFail},
		{"mail permanent", fmt.Errorf("mail report: %w", permMail), exitcode.ExitFailure},
		{"notify temporary", &notify.Error{Dest: "hook", Outcome: notify.Temporary, Err: errors.New("503")}, exitcode.ExitTempFail},
		{"notify permanent", &notify.Error{Dest: "hook", Outcome: notify.Permanent, Err: errors.New("404")}, exitcode.ExitFailure},
		// A notification keeps its outcome when SIGTERM cut it short, as
		// when it carried its own code.
		{"notify cancelled", &notify.Error{Dest: "hook", Outcome: notify.Temporary, Err: context.Canceled}, exitcode.ExitTempFail},
		// An explicit code is the caller's decision and beats what the
		// domain error says.
		{"caller reclassifies", exitcode.Usage(fmt.Errorf("x: %w", errLocked)), exitcode.ExitUsage},
		{"context beats a sentinel", errors.Join(context.Canceled, errLocked), exitcode.ExitInterrupted},
	} {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("%s: ExitCode(%v) = %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
}
