package lock

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestTryLockExclusiveAndReleased(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.lock")
	l, err := TryLock(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryLock(p); !errors.Is(err, ErrLocked) {
		t.Fatalf("second TryLock: %v, want ErrLocked", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l2, err := TryLock(p)
	if err != nil {
		t.Fatalf("after Unlock: %v", err)
	}
	l2.Unlock()
	if _, err := os.Stat(p); err != nil {
		t.Errorf("lock file removed: %v", err)
	}
	var nilLock *Lock
	if err := nilLock.Unlock(); err != nil {
		t.Errorf("nil Unlock: %v", err)
	}
}

func TestWaitBlocksOnHolder(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.lock")
	held, err := Wait(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		l, err := Wait(p, 0o644)
		if err == nil {
			l.Unlock()
		}
		got <- err
	}()
	// The waiter cannot finish before the holder lets go: TryLock still
	// sees the lock busy while the waiter is blocked.
	if _, err := TryLock(p); !errors.Is(err, ErrLocked) {
		t.Fatalf("TryLock while held: %v", err)
	}
	held.Unlock()
	if err := <-got; err != nil {
		t.Fatalf("waiter: %v", err)
	}
}

// TestRefusesPlantedFiles: a symlink under the lock's name (pointing at a
// file root must not create or touch) and a FIFO are refused.
func TestRefusesPlantedFiles(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "victim")
	link := filepath.Join(dir, "a.lock")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, take := range []func(string) (*Lock, error){TryLock, func(p string) (*Lock, error) { return Wait(p, 0o644) }} {
		if _, err := take(link); !errors.Is(err, ErrSymlink) {
			t.Errorf("symlinked lock: %v, want ErrSymlink", err)
		}
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the symlink's target was created: %v", err)
	}
	fifo := filepath.Join(dir, "f.lock")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := TryLock(fifo); err == nil {
		t.Error("a FIFO was accepted as a lock file")
	}
	if _, err := Wait(fifo, 0o644); err == nil { // read-only open of a FIFO would block without O_NONBLOCK
		t.Error("a FIFO was accepted as a lock file")
	}
}
