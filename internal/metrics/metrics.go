// Package metrics collects the few numbers one suricron run produces and
// writes them as a Prometheus textfile-collector file (node_exporter
// --collector.textfile.directory). A cron job is not scraped, so the file
// is the run's report card: written whole and atomically after each run so
// that node_exporter never reads half a file. Each job writes its own file
// (see Registry.File) and the collector merges the directory, as it is
// designed to: no job parses or locks another's output.
package metrics

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/suricron/suricron/internal/atomicfile"
)

// Kind is the Prometheus metric type written on the # TYPE line.
type Kind string

// The two kinds a run produces. Counters here count within one run (or, in
// service mode, since the service started), which is what the textfile
// collector expects: values reset when the writer restarts.
const (
	Gauge   Kind = "gauge"
	Counter Kind = "counter"
)

// Label is one name="value" pair of a series.
type Label struct{ Name, Value string }

type series struct {
	labels []Label
	value  float64
}

type family struct {
	name, help string
	kind       Kind
	series     []*series
}

// Registry holds the metrics of one process. Methods on a nil *Registry do
// nothing, so code paths that run without --metrics-file need no checks.
// It is safe for concurrent use: telemetry uploads run in parallel.
type Registry struct {
	mu       sync.Mutex
	constant []Label // added to every series (command, job)
	families map[string]*family
}

// New returns an empty registry whose series all carry the given labels.
func New(constant ...Label) *Registry {
	return &Registry{constant: slices.Clone(constant), families: map[string]*family{}}
}

// SetLabel sets a constant label, replacing one of the same name. A command
// whose one binary runs different jobs (weekly-report's hourly collect and
// weekly render) names the job, so that each keeps its own samples.
func (r *Registry) SetLabel(name, value string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, l := range r.constant {
		if l.Name == name {
			r.constant[i].Value = value
			return
		}
	}
	r.constant = append(r.constant, Label{name, value})
}

// Labels returns the constant labels.
func (r *Registry) Labels() []Label {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.constant)
}

// Set records a gauge value, replacing an earlier value of the same series.
func (r *Registry) Set(name, help string, v float64, labels ...Label) {
	r.record(name, help, Gauge, v, labels, false)
}

// Add adds v to a counter series (created at 0).
func (r *Registry) Add(name, help string, v float64, labels ...Label) {
	r.record(name, help, Counter, v, labels, true)
}

// Value returns the current value of a series, for tests and for carrying a
// value (the last success time) over a failed run.
func (r *Registry) Value(name string, labels ...Label) (float64, bool) {
	if r == nil {
		return 0, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.families[name]
	if f == nil {
		return 0, false
	}
	if s := f.find(labels); s != nil {
		return s.value, true
	}
	return 0, false
}

// Reset drops every recorded series, keeping the constant labels; service
// mode calls it before each run so that one run's numbers do not leak into
// the next run's file.
func (r *Registry) Reset() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.families = map[string]*family{}
}

func (r *Registry) record(name, help string, kind Kind, v float64, labels []Label, add bool) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.families[name]
	if f == nil {
		f = &family{name: name, help: help, kind: kind}
		r.families[name] = f
	}
	s := f.find(labels)
	if s == nil {
		s = &series{labels: slices.Clone(labels)}
		f.series = append(f.series, s)
	}
	if add {
		s.value += v
	} else {
		s.value = v
	}
}

func (f *family) find(labels []Label) *series {
	for _, s := range f.series {
		if slices.Equal(s.labels, labels) {
			return s
		}
	}
	return nil
}

// WriteText writes the registry in the Prometheus text exposition format
// (version 0.0.4): families sorted by name, each with # HELP and # TYPE,
// constant labels first. It refuses invalid metric or label names rather
// than write a file node_exporter would reject as a whole.
func (r *Registry) WriteText(w io.Writer) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.families))
	for n := range r.families {
		names = append(names, n)
	}
	slices.Sort(names)
	bw := bufio.NewWriter(w)
	for _, n := range names {
		f := r.families[n]
		if !validName(f.name, true) {
			return fmt.Errorf("metrics: invalid metric name %q", f.name)
		}
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, f.kind)
		for _, s := range f.series {
			bw.WriteString(f.name)
			all := append(slices.Clone(r.constant), s.labels...)
			if len(all) > 0 {
				bw.WriteByte('{')
				for i, l := range all {
					if !validName(l.Name, false) {
						return fmt.Errorf("metrics: %s: invalid label name %q", f.name, l.Name)
					}
					if i > 0 {
						bw.WriteByte(',')
					}
					fmt.Fprintf(bw, "%s=\"%s\"", l.Name, escapeLabel(l.Value))
				}
				bw.WriteByte('}')
			}
			bw.WriteByte(' ')
			bw.WriteString(formatValue(s.value))
			bw.WriteByte('\n')
		}
	}
	return bw.Flush()
}

// File is the file this registry writes for the configured metrics_file:
// one file per job in the configured file's directory, named after its
// base name (without .prom) and the constant label values, e.g.
// suricron.prom → suricron-alert-digest.prom, suricron-telemetry-send-heartbeat.prom.
// node_exporter's textfile collector merges every *.prom of its directory
// itself, so no job ever reads or rewrites another job's file: no merge
// and no lock (issue 15). A label value equal to the one before it is
// named once (command alert-digest, job alert-digest).
func (r *Registry) File(configured string) string {
	dir, base := filepath.Split(configured)
	name := strings.TrimSuffix(base, ".prom")
	prev := ""
	for _, l := range r.Labels() {
		if l.Value == "" || l.Value == prev {
			continue
		}
		prev = l.Value
		name += "-" + fileSafe(l.Value)
	}
	return filepath.Join(dir, name+".prom")
}

// fileSafe keeps a label value usable as part of a file name: the values
// are suricron's own command and job names, but a slash or a leading dot
// must never turn into another directory or a hidden file.
func fileSafe(v string) string {
	return strings.Map(func(c rune) rune {
		if c == '-' || c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') {
			return c
		}
		return '_'
	}, v)
}

// WriteFile writes the registry to File(configured) for node_exporter's
// textfile collector, replacing the whole file: it holds only this job's
// samples. The write is atomic: a temp file in the same directory
// (node_exporter reads only *.prom, which the temp name does not end in),
// fsync, chmod 0644 so the node_exporter user can read it, rename. Two jobs
// finishing together write different files and cannot lose each other's
// samples; two runs of the same job replace each other whole.
func (r *Registry) WriteFile(configured string) error {
	if r == nil {
		return nil
	}
	var buf bytes.Buffer
	if err := r.WriteText(&buf); err != nil {
		return err
	}
	if err := atomicfile.Write(r.File(configured), buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("metrics file: %w", err)
	}
	return nil
}

// ReadValue finds one sample in a metrics file written earlier, matching
// the metric name and exactly the given labels (in any order). A missing
// file or series is (0, false, nil); only an unreadable file is an error.
// It reads what WriteText writes, not arbitrary exposition text: a job
// reads its own File back to carry its last success time over a failed run.
func ReadValue(path, name string, labels ...Label) (float64, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	want := map[string]string{}
	for _, l := range labels {
		want[l.Name] = l.Value
	}
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		got, ls, val, ok := parseSample(line)
		if !ok || got != name || len(ls) != len(want) {
			continue
		}
		match := true
		for k, v := range ls {
			if w, ok := want[k]; !ok || w != v {
				match = false
				break
			}
		}
		if match {
			return val, true, nil
		}
	}
	return 0, false, nil
}

// parseSample splits `name{a="x",b="y"} value`, undoing escapeLabel.
func parseSample(line string) (string, map[string]string, float64, bool) {
	ls := map[string]string{}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return "", nil, 0, false
	}
	name, rest := line[:i], line[i:]
	if rest[0] == '{' {
		rest = rest[1:]
		for {
			if rest == "" {
				return "", nil, 0, false
			}
			if rest[0] == '}' {
				rest = rest[1:]
				break
			}
			if rest[0] == ',' {
				rest = rest[1:]
				continue
			}
			eq := strings.Index(rest, `="`)
			if eq < 0 {
				return "", nil, 0, false
			}
			k := rest[:eq]
			rest = rest[eq+2:]
			var v strings.Builder
			for {
				if rest == "" {
					return "", nil, 0, false
				}
				c := rest[0]
				rest = rest[1:]
				if c == '"' {
					break
				}
				if c == '\\' && rest != "" {
					switch rest[0] {
					case 'n':
						v.WriteByte('\n')
					default:
						v.WriteByte(rest[0])
					}
					rest = rest[1:]
					continue
				}
				v.WriteByte(c)
			}
			ls[k] = v.String()
		}
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return "", nil, 0, false
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return "", nil, 0, false
	}
	return name, ls, v, true
}

func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// escapeHelp escapes a HELP text: backslash and newline only.
func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

// escapeLabel escapes a label value: backslash, double quote and newline.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// validName checks [a-zA-Z_:][a-zA-Z0-9_:]* (colons only in metric names).
func validName(s string, metric bool) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		ok := c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') ||
			(i > 0 && '0' <= c && c <= '9') || (metric && c == ':')
		if !ok {
			return false
		}
	}
	return !(!metric && strings.HasPrefix(s, "__"))
}

// RecordEve records the eve.json reading counters that every command
// tailing the log shares, under one name so that one alert rule covers
// them all.
func RecordEve(r *Registry, lines, bad int64) {
	r.Set("suricron_eve_lines_read", "eve.json lines read by the last run.", float64(lines))
	r.Set("suricron_eve_bad_lines", "eve.json lines the last run skipped as invalid or oversized.", float64(bad))
}

// RecordOversized records the lines the last run skipped for being longer
// than [eve] max_line_bytes (internal/checkpoint records it for every
// command that reads through a checkpoint).
func RecordOversized(r *Registry, n int) {
	r.Set("suricron_eve_oversized_lines", "eve.json lines the last run skipped for being longer than max_line_bytes.", float64(n))
}
