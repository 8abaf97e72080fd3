// Package lock is the one flock(2) wrapper: the per-command run lock (held
// for a whole run, never waited for) and the short lock writers of a shared
// file take around their update (waited for).
//
// Invariants: a lock file is opened with O_NOFOLLOW, so a symlink planted in
// the state dir cannot make a root run create or truncate its target; the
// lock lives on a separate file, never on the file it protects (a rename
// replaces that file's inode, and a lock on the old inode protects nothing);
// a lock file is never deleted (two runs would then lock two inodes). The
// kernel releases a lock when its holder dies, even by SIGKILL, so there is
// no stale-PID logic.
package lock

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrLocked means another process holds the lock.
var ErrLocked = errors.New("another run holds the lock")

// ErrSymlink means the lock path is a symbolic link, which is refused.
var ErrSymlink = errors.New("is a symbolic link; refusing to follow it")

// Lock is an exclusive flock on a lock file.
type Lock struct{ f *os.File }

// TryLock takes the lock at path without waiting; a busy lock returns
// ErrLocked at once, so a slow run never stacks cron jobs behind it.
func TryLock(path string) (*Lock, error) {
	return take(path, os.O_RDWR, 0o600, unix.LOCK_EX|unix.LOCK_NB)
}

// Wait takes the lock at path, waiting for the holder (for writes that take
// milliseconds). The file is opened read-only so that a lock file left by
// root after a manual run still works for the service user.
func Wait(path string, perm os.FileMode) (*Lock, error) {
	return take(path, os.O_RDONLY, perm, unix.LOCK_EX)
}

func take(path string, mode int, perm os.FileMode, how int) (*Lock, error) {
	// O_NONBLOCK: a FIFO planted under the lock's name must not hang the
	// open (it is refused below); it changes nothing for a regular file.
	f, err := os.OpenFile(path, mode|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, perm)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("lock %s %w", path, ErrSymlink)
		}
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		// A FIFO or device planted under the lock's name.
		f.Close()
		return nil, fmt.Errorf("lock %s: not a regular file (%s)", path, fi.Mode().Type())
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock; the lock file stays. Unlock on a nil Lock is a
// no-op, so callers can defer it unconditionally.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
