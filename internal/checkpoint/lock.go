package checkpoint

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// ErrLocked means another run of the same command holds the lock.
var ErrLocked = errors.New("another run holds the lock")

// Lock is an exclusive flock on a separate lock file. The kernel drops it
// when the process dies, even by SIGKILL, so there is no stale-PID logic.
// The state file is never locked itself: its inode changes at every commit.
type Lock struct{ f *os.File }

// TryLock takes the lock at path without waiting; a busy lock returns
// ErrLocked at once, so a slow run never stacks cron jobs behind it.
func TryLock(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock. The lock file stays: deleting it would let two
// runs lock two different inodes.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
