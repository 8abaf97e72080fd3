// Package checkpoint remembers, per command ("consumer"), how far that
// command has read Suricata's eve.json, across logrotate's renames,
// compression (gzip, zstd, xz, bzip2: told by magic bytes) and copytruncate,
// as research/tailing.md §6 designs it.
//
// A position is the identity of a file (SHA-256 of its first line, at most
// 4 KiB, so eve.json.1 and eve.json.1.gz of the same bytes are the same file)
// plus an offset in uncompressed bytes that always sits just after a '\n',
// plus an anchor (SHA-256 of the 256 bytes before the offset) that catches a
// file rewritten under the same first line, plus the identities of the
// rotated files read before it (to resume after it is deleted without
// comparing timestamps). dev/inode are hints only.
//
// A run goes through phases, one file each: session.go (Open, Close), the
// resume plan (resume.go), reading (read.go, with copytruncate.go for a
// live file truncated under the run) and saving (commit.go); each file
// states the invariants it keeps.
//
// Invariants: one run per consumer at a time (flock on <consumer>.lock via
// internal/lock, a second run gets ErrLocked → exit 75); the state dir is
// refused when others may write to it, and nothing in it is followed through
// a symlink; the state file changes only through Prepare and Commit, which
// the caller makes after its work succeeded (mail accepted, upload
// acknowledged), and is written temp + fsync + rename + dir fsync; the live
// file is never read past its last '\n' nor past its size when the run
// started; only regular files are opened.
package checkpoint
