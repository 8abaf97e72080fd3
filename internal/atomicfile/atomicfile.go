// Package atomicfile replaces files so that a crash or a full disk leaves
// either the old content or the new one, never a torn mix: write a temp
// file in the same directory, fsync it, rename it over the target, fsync
// the directory (the step renameio leaves out; Filebeat #4733 and promtail
// #1457 show what a torn state file costs).
//
// Invariants: the temp file is created with O_CREATE|O_EXCL|O_NOFOLLOW
// under a random name, so a symlink or file planted under a predictable
// name can neither be followed nor reused; rename replaces a symlink at the
// target path itself, never its target. PrivateDir refuses a directory
// others can write to, where such plants are possible at all.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrUnsafeDir marks a state directory that a group or other users can
// write to: anyone with that right could plant symlinks that a root run
// would follow. Callers report it as a configuration error (exit 2).
var ErrUnsafeDir = errors.New("is writable by group or others; make it private (chmod 0700) or choose another --state-dir")

// PrivateDir creates dir (0700) if it does not exist and refuses it if a
// group or other users may write to it (the sticky bit does not help: it
// does not stop new names being created). A symlink to a directory is
// accepted: the check is on the directory it leads to.
func PrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("state dir %s: not a directory", dir)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("state dir %s (mode %04o) %w", dir, fi.Mode().Perm(), ErrUnsafeDir)
	}
	return nil
}

// createTemp makes a new file beside path that did not exist before: never
// an existing file, never through a symlink (os.CreateTemp does not say
// O_NOFOLLOW; O_EXCL implies it on Linux, but the promise is spelt out).
func createTemp(path string) (*os.File, error) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	var raw [8]byte
	for range 100 {
		rand.Read(raw[:])
		name := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(raw[:]))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("no free temp name beside %s", path)
}

// Write replaces path with data, created with mode perm.
func Write(path string, data []byte, perm os.FileMode) error {
	return WriteThen(path, data, perm, nil)
}

// WriteThen is Write with a step run after the new content is safely on
// disk and before it replaces path; if the step fails, path is untouched.
func WriteThen(path string, data []byte, perm os.FileMode, beforeRename func() error) error {
	dir := filepath.Dir(path)
	tmp, err := createTemp(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	// createTemp makes 0600; Chmod sets the wanted mode whatever the umask.
	if err := tmp.Chmod(perm); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if beforeRename != nil {
		if err := beforeRename(); err != nil {
			os.Remove(name)
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a directory so that a rename in it survives a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// TempPattern is the glob of the temp files Write may leave beside base
// after a crash before its rename (callers remove them at start-up).
func TempPattern(base string) string { return "." + base + ".tmp-*" }
