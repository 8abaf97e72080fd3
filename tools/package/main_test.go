package main

import "testing"

func TestDebianVersion(t *testing.T) {
	for in, want := range map[string]string{
		"v1.2.3":              "1.2.3",
		"1.2.3":               "1.2.3",
		"v1.2.3-4-gabc123":    "1.2.3+4.gabc123",
		"v1.2.3-4-gabc-dirty": "1.2.3+4.gabc.dirty",
		"ca7b433":             "0.0.0~gitca7b433",
		"ca7b433-dirty":       "0.0.0~gitca7b433+dirty",
		"":                    "0.0.0",
		"dev":                 "0.0.0~gitdev",
		"v1.0 beta":           "0.0.0~invalid",
	} {
		if got := DebianVersion(in); got != want {
			t.Errorf("DebianVersion(%q) = %q, want %q", in, got, want)
		}
	}
}
