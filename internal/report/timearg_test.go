package report

import (
	"testing"
	"time"
)

// TestParseTimeArgForms: the --since/--until spellings an operator types
// (issue 20: 2w, yesterday and -3d were rejected).
func TestParseTimeArgForms(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	now := time.Date(2026, 11, 25, 15, 30, 0, 0, loc)
	midnight := time.Date(2026, 11, 25, 0, 0, 0, 0, loc)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"7d", now.AddDate(0, 0, -7)},
		{"-3d", now.AddDate(0, 0, -3)},
		{"2w", now.AddDate(0, 0, -14)},
		{"-1w", now.AddDate(0, 0, -7)},
		{"36h", now.Add(-36 * time.Hour)},
		{"-36h", now.Add(-36 * time.Hour)},
		{"today", midnight},
		{"yesterday", midnight.AddDate(0, 0, -1)},
		{"Yesterday", midnight.AddDate(0, 0, -1)},
		{"2026-11-20", time.Date(2026, 11, 20, 0, 0, 0, 0, loc)},
		{"2026-11-20T10:00:00Z", time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		got, err := ParseTimeArg(tc.in, now, loc)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%q: %v %v, want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "soon", "3x", "-", "w", "--3d"} {
		if got, err := ParseTimeArg(bad, now, loc); err == nil {
			t.Errorf("%q accepted as %v", bad, got)
		}
	}
}
