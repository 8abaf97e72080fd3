package checkpoint

import (
	"errors"

	"github.com/suricron/suricron/internal/lock"
)

// ErrLocked means another run of the same command holds the lock
// (internal/lock's; kept here so callers that test for it need not import
// both packages).
var ErrLocked = lock.ErrLocked

// ErrRotating means the live eve.json is missing while rotated files
// exist: logrotate is between its rename and its create, and the next run
// (soon) finds the new file. cli.ExitCode makes it 75.
var ErrRotating = errors.New("a rotation is in progress")

// Lock is the per-consumer run lock (internal/lock).
type Lock = lock.Lock

// TryLock takes the lock at path without waiting (internal/lock.TryLock).
func TryLock(path string) (*Lock, error) { return lock.TryLock(path) }
