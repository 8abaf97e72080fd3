package gen

import (
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// Config describes one synthetic sensor log. The zero value of every field
// means "the default" (see Defaults), so callers set only what they care
// about; rates that must be able to be zero use a negative value for "off".
type Config struct {
	// Seed makes the output reproducible: the same Config gives the same bytes.
	Seed uint64
	// Start is the time Suricata starts (uptime 0). Its Location sets the
	// zone offset written in every timestamp. Default 2025-01-06T00:00:00Z.
	Start time.Time
	// Duration is the period covered. Default 1h.
	Duration time.Duration

	// EventsPerSecond is the mean rate of non-stats events. Default 20.
	// Ignored when TotalBytes is set.
	EventsPerSecond float64
	// TotalBytes, when > 0, picks the event rate so that the output is about
	// this large (within a few percent) while still covering Duration.
	TotalBytes int64

	// StatsInterval between stats records. Default 8s as in suricata.yaml.
	StatsInterval time.Duration
	// Restarts are offsets from Start at which Suricata stops; it comes back
	// RestartDowntime later with uptime and all counters reset. If empty,
	// RestartCount restarts are spread evenly over the period.
	Restarts     []time.Duration
	RestartCount int
	// RestartDowntime is how long Suricata is down per restart. Default 45s.
	RestartDowntime time.Duration

	// DropRate is the mean kernel_drops/kernel_packets ratio. Default 0.005
	// with bursty intervals; negative disables drops.
	DropRate float64
	// AlertRate is the fraction of sessions that raise an alert. Default 0.08.
	AlertRate float64
	// BlockedRate is the fraction of alerts that are blocked (IPS) and then
	// also produce a drop event. Default 0.05; negative disables.
	BlockedRate float64
	// IPv6Rate is the fraction of sessions over IPv6. Default 0.15.
	IPv6Rate float64
	// IPv6Format: "expanded" (Suricata's default), "compressed"
	// (ipv6-compress: yes) or "mixed" (default: both forms in one log, so
	// readers are exercised on both; a real sensor writes one).
	IPv6Format string
	// WideFlowIDRate is the fraction of flow_ids at or above 2^53. Suricata
	// masks flow_id to 51 bits, but readers must not pass flow_id through a
	// float64, and these values catch that. Default 0.01; negative disables.
	WideFlowIDRate float64

	// HomeNet lists the internal networks. Default 192.168.0.0/16,
	// 10.0.0.0/8, fd00::/8.
	HomeNet []netip.Prefix
	// Interface is in_iface. Default "eth0".
	Interface string

	// Hostile adds, to a small fraction of records, strings that are valid
	// JSON but hostile to renderers: quotes, HTML, CR/LF, terminal escapes,
	// non-ASCII.
	Hostile bool
	// BadLineRate is the fraction of lines followed by an invalid line.
	BadLineRate float64
	// Partial ends the output with a torn (unterminated) line.
	Partial bool
}

// Defaults returns cfg with every zero field replaced by its default.
func (cfg Config) Defaults() Config {
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	}
	if cfg.Duration == 0 {
		cfg.Duration = time.Hour
	}
	if cfg.EventsPerSecond == 0 {
		cfg.EventsPerSecond = 20
	}
	if cfg.StatsInterval == 0 {
		cfg.StatsInterval = 8 * time.Second
	}
	if cfg.RestartDowntime == 0 {
		cfg.RestartDowntime = 45 * time.Second
	}
	if cfg.DropRate == 0 {
		cfg.DropRate = 0.005
	}
	if cfg.AlertRate == 0 {
		cfg.AlertRate = 0.08
	}
	if cfg.BlockedRate == 0 {
		cfg.BlockedRate = 0.05
	}
	if cfg.IPv6Rate == 0 {
		cfg.IPv6Rate = 0.15
	}
	if cfg.IPv6Format == "" {
		cfg.IPv6Format = "mixed"
	}
	if cfg.WideFlowIDRate == 0 {
		cfg.WideFlowIDRate = 0.01
	}
	if len(cfg.HomeNet) == 0 {
		cfg.HomeNet = []netip.Prefix{
			netip.MustParsePrefix("192.168.0.0/16"),
			netip.MustParsePrefix("10.0.0.0/8"),
			netip.MustParsePrefix("fd00::/8"),
		}
	}
	if cfg.Interface == "" {
		cfg.Interface = "eth0"
	}
	if len(cfg.Restarts) == 0 && cfg.RestartCount > 0 {
		step := cfg.Duration / time.Duration(cfg.RestartCount+1)
		for i := 1; i <= cfg.RestartCount; i++ {
			cfg.Restarts = append(cfg.Restarts, step*time.Duration(i))
		}
	}
	return cfg
}

// validate checks a Config that already has its defaults.
func (cfg Config) validate() error {
	switch {
	case cfg.Duration < 0:
		return fmt.Errorf("negative duration")
	case cfg.EventsPerSecond < 0:
		return fmt.Errorf("negative events per second")
	case cfg.StatsInterval < time.Second:
		return fmt.Errorf("stats interval %v below 1s", cfg.StatsInterval)
	case cfg.BadLineRate < 0 || cfg.BadLineRate >= 1:
		return fmt.Errorf("bad-line rate %v outside [0,1)", cfg.BadLineRate)
	case cfg.DropRate >= 0.9 || cfg.AlertRate > 1 || cfg.BlockedRate > 1 || cfg.IPv6Rate > 1:
		return fmt.Errorf("rate out of range")
	}
	switch cfg.IPv6Format {
	case "expanded", "compressed", "mixed":
	default:
		return fmt.Errorf("ipv6 format %q: want expanded, compressed or mixed", cfg.IPv6Format)
	}
	rs := slices.Clone(cfg.Restarts)
	slices.Sort(rs)
	// A restart must leave room for stats records on both sides, or the
	// reset could not be seen in the log and Summary.Restarts would lie.
	minGap := 3*cfg.StatsInterval + cfg.RestartDowntime
	prev := time.Duration(0)
	for _, r := range rs {
		if r-prev < minGap || r > cfg.Duration-minGap {
			return fmt.Errorf("restart at %v: restarts need %v between each other and the ends of the %v period", r, minGap, cfg.Duration)
		}
		prev = r + cfg.RestartDowntime
	}
	var v4, v6 bool
	for _, p := range cfg.HomeNet {
		if p.Addr().Is4() {
			v4 = true
		} else {
			v6 = true
		}
	}
	if !v4 {
		return fmt.Errorf("home net needs at least one IPv4 prefix")
	}
	if !v6 && cfg.IPv6Rate > 0 {
		return fmt.Errorf("home net has no IPv6 prefix but IPv6 rate is %v (set it negative)", cfg.IPv6Rate)
	}
	return nil
}

// Summary is the ground truth of one generated log, so tests of readers can
// compare what they find with what was written.
type Summary struct {
	Lines  int64 // complete lines, including bad lines
	Bytes  int64 // bytes written (uncompressed), including bad and torn lines
	Events map[string]int64

	Alerts           int64
	AlertsBySID      map[int]int64
	AlertsBySeverity map[int]int64
	AlertsBlocked    int64
	Flows            int64
	FlowsByProto     map[string]int64
	IPv6Events       int64 // events (not stats) with IPv6 addresses
	WideFlowIDs      int64 // events whose flow_id is >= 2^53

	StatsRecords int64
	// Restarts is the number of stats records whose uptime went down.
	Restarts int
	// KernelPackets and KernelDrops are Σ restart-aware deltas of
	// stats.capture.* over every stats record, starting from zero (Suricata
	// starts at Config.Start): for each record add v if uptime or v went
	// down, else v - prev. This equals the sum of the last value of each run.
	KernelPackets int64
	KernelDrops   int64
	// DetectAlerts is the same sum for stats.detect.alert; alerts logged after
	// the last stats record of a run are not in it, as in real Suricata.
	DetectAlerts int64

	BadLines int64
	Partial  bool // the output ends with a torn line

	First, Last time.Time // timestamps of the first and last complete event line
}

func newSummary() Summary {
	return Summary{
		Events:           map[string]int64{},
		AlertsBySID:      map[int]int64{},
		AlertsBySeverity: map[int]int64{},
		FlowsByProto:     map[string]int64{},
	}
}
