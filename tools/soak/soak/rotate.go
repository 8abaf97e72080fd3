package soak

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/buger/jsonparser"

	"github.com/suricron/suricron/internal/eve"
)

// Logrotate stanzas. "create" is Debian's suricata stanza (compress, no
// delaycompress, postrotate HUP); its postrotate waits (bounded) until the
// writer has reopened, as a HUP-ed Suricata has before gzip reads the
// renamed file. "copytruncate" keeps the live inode and loses whatever is
// written between logrotate's copy and its truncate.
func stanza(mode, marker string) (string, error) {
	switch mode {
	case ModeCreate:
		return fmt.Sprintf("rotate 14\nmissingok\ncompress\ncreate 0640\nsharedscripts\npostrotate\n  touch %s\n  i=0; while [ -e %s ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done\nendscript\n", marker, marker), nil
	case ModeCopytruncate:
		return "rotate 14\nmissingok\ncompress\ncopytruncate\n", nil
	}
	return "", fmt.Errorf("soak: mode %q: want %s or %s", mode, ModeCreate, ModeCopytruncate)
}

// LogrotateBin finds the real logrotate binary.
func LogrotateBin() (string, error) {
	for _, p := range []string{"/usr/sbin/logrotate", "/sbin/logrotate"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return exec.LookPath("logrotate")
}

// presence records which alerts were ever complete in some file of the
// eve.json family. Rotated files are immutable once written, so their
// content is cached by inode, size and mtime.
type presence struct {
	live string
	mu   sync.Mutex
	seen map[int]bool
	done map[string]bool
}

func newPresence(live string) *presence {
	return &presence{live: live, seen: map[int]bool{}, done: map[string]bool{}}
}

func (p *presence) snapshot() {
	files, _ := filepath.Glob(p.live + "*")
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		key := ""
		if f != p.live {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				key = fmt.Sprintf("%d/%d/%d/%d", st.Dev, st.Ino, fi.Size(), fi.ModTime().UnixNano())
			}
			p.mu.Lock()
			skip := key != "" && p.done[key]
			p.mu.Unlock()
			if skip {
				continue
			}
		}
		ef, err := eve.Open(f)
		if err != nil {
			continue
		}
		var ns []int
		sc := eve.NewScanner(ef.Reader, 0, 0)
		for sc.Next() {
			line := sc.Line()
			if typ, _ := jsonparser.GetString(line, "event_type"); typ != "alert" {
				continue
			}
			if n, err := jsonparser.GetInt(line, "flow_id"); err == nil {
				ns = append(ns, int(n))
			}
		}
		ef.Close()
		p.mu.Lock()
		for _, n := range ns {
			p.seen[n] = true
		}
		if key != "" {
			p.done[key] = true
		}
		p.mu.Unlock()
	}
}

func (p *presence) has(n int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[n]
}

// rotator runs the real logrotate at random intervals, with a presence
// snapshot just before and just after each rotation: a record that is in
// neither was never complete in any file (copytruncate's window).
type rotator struct {
	bin, conf, state string
	min, max         time.Duration
	pres             *presence
	rng              *rand.Rand
	rotations        int
	err              error
	tr               *tracer
	w                *writer
}

func (r *rotator) rotate(ctx context.Context) error {
	r.pres.snapshot()
	r.tr.logf("logrotate start written=%d", r.w.Written())
	cmd := exec.CommandContext(ctx, r.bin, "-f", "-s", r.state, r.conf)
	out, err := cmd.CombinedOutput()
	r.tr.logf("logrotate end written=%d", r.w.Written())
	r.pres.snapshot()
	if err != nil {
		return fmt.Errorf("logrotate: %v\n%s", err, out)
	}
	r.rotations++
	return nil
}

func (r *rotator) loop(ctx context.Context) {
	for {
		d := r.min + time.Duration(r.rng.Int64N(int64(r.max-r.min)+1))
		select {
		case <-ctx.Done():
			return
		case <-time.After(d):
		}
		if err := r.rotate(ctx); err != nil {
			if ctx.Err() == nil {
				r.err = err
			}
			return
		}
	}
}
