package main

import (
	"strings"
	"testing"
)

func TestSummary(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"run","Package":"p/a","Test":"TestOK"}`,
		`{"Action":"output","Package":"p/a","Test":"TestOK","Output":"noise\n"}`,
		`{"Action":"pass","Package":"p/a","Test":"TestOK"}`,
		`{"Action":"output","Package":"p/a","Test":"TestSkip","Output":"    dpkg_test.go:30: set SURICRON_DPKG_TEST=1 to run\n"}`,
		`{"Action":"output","Package":"p/a","Test":"TestSkip","Output":"--- SKIP: TestSkip (0.00s)\n"}`,
		`{"Action":"skip","Package":"p/a","Test":"TestSkip"}`,
		`{"Action":"output","Package":"p/a","Test":"TestBad","Output":"    x_test.go:9: boom\n"}`,
		`{"Action":"fail","Package":"p/a","Test":"TestBad"}`,
		`{"Action":"output","Package":"p/a","Output":"FAIL\tp/a\t0.1s\n"}`,
		`{"Action":"fail","Package":"p/a"}`,
	}, "\n")
	var out strings.Builder
	code := run(strings.NewReader(in), &out)
	got := out.String()
	if code != 1 || strings.Contains(got, "noise") || !strings.Contains(got, "boom") || !strings.Contains(got, "FAIL\tp/a") ||
		!strings.Contains(got, "SKIP p/a TestSkip: set SURICRON_DPKG_TEST=1 to run") || !strings.Contains(got, "sudo bash .ci/run") {
		t.Errorf("exit %d\n%s", code, got)
	}
}
