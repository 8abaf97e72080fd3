package checkpoint

import "github.com/suricron/suricron/internal/lock"

// ErrLocked means another run of the same command holds the lock
// (internal/lock's; kept here so callers that test for it need not import
// both packages).
var ErrLocked = lock.ErrLocked

// Lock is the per-consumer run lock (internal/lock).
type Lock = lock.Lock

// TryLock takes the lock at path without waiting (internal/lock.TryLock).
func TryLock(path string) (*Lock, error) { return lock.TryLock(path) }
