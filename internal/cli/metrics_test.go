package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/metrics"
)

type metricsCmd struct {
	Common
	Service
	Fail bool `help:"fail"`
}

func (c *metricsCmd) Run(_ context.Context, env *Env) error {
	env.Metrics.Set("suricron_eve_lines_read", "Lines.", 42)
	if c.Fail {
		return exitcode.TempFail(errors.New("server down"))
	}
	return nil
}

func TestMetricsFileAfterRun(t *testing.T) {
	configured := filepath.Join(t.TempDir(), "suricron.prom")
	path := filepath.Join(filepath.Dir(configured), "suricron-alert-digest.prom") // the job's own file
	var errb bytes.Buffer
	code := Main(Options{Name: "alert-digest", Section: "digest", Version: "v1.2", Args: []string{"--metrics-file", configured}, Stderr: &errb}, &metricsCmd{})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	job := []metrics.Label{{Name: "command", Value: "alert-digest"}, {Name: "job", Value: "alert-digest"}}
	for _, name := range []string{"suricron_eve_lines_read", MetricLastRun, MetricLastSuccess, MetricExitCode, MetricDuration} {
		if _, ok, err := metrics.ReadValue(path, name, job...); !ok || err != nil {
			t.Errorf("%s missing (%v)", name, err)
		}
	}
	success, _, _ := metrics.ReadValue(path, MetricLastSuccess, job...)
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), `suricron_build_info{command="alert-digest",job="alert-digest",version="v1.2"} 1`) {
		t.Errorf("no build info in\n%s", b)
	}

	// A failed run records its exit code and keeps the earlier success.
	code = Main(Options{Name: "alert-digest", Section: "digest", Version: "v1.2", Args: []string{"--metrics-file", configured, "--fail"}, Stderr: &errb}, &metricsCmd{})
	if code != exitcode.ExitTempFail {
		t.Fatalf("exit %d, want 75", code)
	}
	if v, _, _ := metrics.ReadValue(path, MetricExitCode, job...); v != exitcode.ExitTempFail {
		t.Errorf("exit code metric %v, want 75", v)
	}
	if v, ok, _ := metrics.ReadValue(path, MetricLastSuccess, job...); !ok || v != success {
		t.Errorf("last success %v (%v), want the earlier %v", v, ok, success)
	}
}

func TestMetricsFileFromConfigAndUnwritable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.prom")
	cfg := writeConfig(t, "metrics_file = \""+path+"\"\n")
	var errb bytes.Buffer
	if code := Main(Options{Name: "x", Section: "digest", Args: []string{"-c", cfg}, Stderr: &errb}, &metricsCmd{}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "m-x.prom")); err != nil {
		t.Errorf("metrics_file from the config not written: %v", err)
	}
	// The job's work is done when metrics are written; a bad metrics
	// path is a warning, not a failed run.
	errb.Reset()
	bad := filepath.Join(dir, "missing", "m.prom")
	if code := Main(Options{Name: "x", Section: "digest", Args: []string{"--metrics-file", bad}, Stderr: &errb}, &metricsCmd{}); code != 0 {
		t.Errorf("exit %d for an unwritable metrics file", code)
	}
	if !strings.Contains(errb.String(), "metrics not written") {
		t.Errorf("no warning: %q", errb.String())
	}
}

type subCmds struct {
	Common
	Service
	Send      leaf `cmd:"" default:"withargs"`
	Heartbeat leaf `cmd:""`
}

type leaf struct{}

func (leaf) Run(env *Env) error { env.Metrics.Set("suricron_x", "x", 1); return nil }

func TestMetricsJobIsTheSubcommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.prom")
	for _, args := range [][]string{{"--metrics-file", path}, {"--metrics-file", path, "heartbeat"}} {
		var errb bytes.Buffer
		if code := Main(Options{Name: "telemetry-send", Section: "telemetry", Args: args, Stderr: &errb}, &subCmds{}); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
	}
	// Each job writes its own file beside the configured name.
	for _, job := range []string{"send", "heartbeat"} {
		path := filepath.Join(filepath.Dir(path), "m-telemetry-send-"+job+".prom")
		if _, ok, _ := metrics.ReadValue(path, "suricron_x", metrics.Label{Name: "command", Value: "telemetry-send"}, metrics.Label{Name: "job", Value: job}); !ok {
			b, _ := os.ReadFile(path)
			t.Errorf("no sample for job %s in\n%s", job, b)
		}
	}
}

func TestNoMetricsFlagNoRegistry(t *testing.T) {
	_, cmd, _, _ := run(t, nil, nil)
	if cmd.ran.env.Metrics != nil {
		t.Error("a registry without --metrics-file")
	}
}
