// Package checkpoint remembers, per command ("consumer"), how far that
// command has read Suricata's eve.json, across logrotate's renames,
// compression and copytruncate, as research/tailing.md §6 designs it.
//
// A position is the identity of a file (SHA-256 of its first line, at most
// 4 KiB, so eve.json.1 and eve.json.1.gz of the same bytes are the same file)
// plus an offset in uncompressed bytes that always sits just after a '\n',
// plus an anchor (SHA-256 of the 256 bytes before the offset) that catches a
// file rewritten under the same first line. dev/inode are hints only.
//
// Invariants: one run per consumer at a time (flock on <consumer>.lock, a
// second run gets ErrLocked → exit 75); the state file changes only through
// Commit, which the caller makes after its work succeeded (mail accepted,
// upload acknowledged), and is written temp + fsync + rename + dir fsync; the
// live file is never read past its last '\n' nor past its size when the run
// started.
package checkpoint
