// Package atomicfile replaces files so that a crash or a full disk leaves
// either the old content or the new one, never a torn mix: write a temp
// file in the same directory, fsync it, rename it over the target, fsync
// the directory (the step renameio leaves out; Filebeat #4733 and promtail
// #1457 show what a torn state file costs).
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Write replaces path with data, created with mode perm.
func Write(path string, data []byte, perm os.FileMode) error {
	return WriteThen(path, data, perm, nil)
}

// WriteThen is Write with a step run after the new content is safely on
// disk and before it replaces path; if the step fails, path is untouched.
func WriteThen(path string, data []byte, perm os.FileMode, beforeRename func() error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
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
	// CreateTemp makes 0600; Chmod sets the wanted mode whatever the umask.
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
