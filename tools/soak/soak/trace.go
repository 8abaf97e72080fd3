package soak

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// tracer writes a timeline of one round (runs with their state before and
// after, rotations, deliveries) to trace.log in the work directory, kept
// when the round fails: a duplicate or a loss is diagnosed from it.
type tracer struct {
	mu sync.Mutex
	f  *os.File
	t0 time.Time
}

func newTracer(path string) (*tracer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &tracer{f: f, t0: time.Now()}, nil
}

func (t *tracer) logf(format string, args ...any) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.f, "%10.3f ", time.Since(t.t0).Seconds())
	fmt.Fprintf(t.f, format, args...)
	fmt.Fprintln(t.f)
}

func (t *tracer) close() {
	if t != nil {
		t.f.Close()
	}
}

// stateSummary condenses a checkpoint state file for the trace.
func stateSummary(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "none"
	}
	var st struct {
		Pos struct {
			Head   string `json:"head"`
			Offset int64  `json:"offset"`
			Path   string `json:"path"`
			Size   int64  `json:"size"`
		} `json:"position"`
		BatchID string `json:"batch_id"`
		Pending *struct {
			BatchID string `json:"batch_id"`
			End     struct {
				Head   string `json:"head"`
				Offset int64  `json:"offset"`
			} `json:"end"`
		} `json:"pending"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return "unreadable: " + err.Error()
	}
	s := fmt.Sprintf("pos=%s@%d(size %d) batch=%s", short(st.Pos.Head), st.Pos.Offset, st.Pos.Size, short(st.BatchID))
	if st.Pending != nil {
		s += fmt.Sprintf(" pending=%s end=%s@%d", short(st.Pending.BatchID), short(st.Pending.End.Head), st.Pending.End.Offset)
	}
	return s
}

func short(s string) string { return s[:min(len(s), 8)] }
