package main

import (
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1GB", 1 << 30, true},
		{"200MB", 200 << 20, true},
		{"512KiB", 512 << 10, true},
		{"1.5g", 3 << 29, true},
		{"1000", 1000, true},
		{"", 0, false},
		{"-5MB", 0, false},
		{"lots", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseStart(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 500, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"now", now.Truncate(time.Second), true},
		{"now-168h", now.Add(-168 * time.Hour).Truncate(time.Second), true},
		{"2025-01-06T00:00:00+03:00", time.Date(2025, 1, 6, 0, 0, 0, 0, time.FixedZone("", 3*3600)), true},
		{"yesterday", time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := parseStart(tt.in, now)
		if (err == nil) != tt.ok || !got.Equal(tt.want) {
			t.Errorf("parseStart(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
