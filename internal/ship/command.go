package ship

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/suricron/suricron/internal/cli"
	"github.com/suricron/suricron/internal/exitcode"
)

// ServerFlags reach ClickHouse; weekly-report --source clickhouse has the
// same names.
type ServerFlags struct {
	ClickhouseURL          string        `name:"clickhouse-url" help:"ClickHouse HTTP interface." default:"http://127.0.0.1:8123" placeholder:"URL"`
	Database               string        `help:"ClickHouse database of the tables." default:"suricron"`
	ClickhouseUser         string        `name:"clickhouse-user" help:"ClickHouse user (default: the server's default user)." placeholder:"USER"`
	ClickhousePasswordFile string        `name:"clickhouse-password-file" help:"File holding the ClickHouse password (never pass the password itself)." placeholder:"FILE"`
	CAFile                 string        `name:"ca-file" help:"CA certificate(s) to verify an https ClickHouse URL." placeholder:"FILE"`
	Timeout                time.Duration `help:"Timeout of one HTTP request." default:"60s"`
	Retries                int           `help:"Tries per request on network errors and 5xx." default:"5"`
	RetryWait              time.Duration `help:"First retry wait; doubles each try, with jitter." default:"1s"`
	RetryMax               time.Duration `help:"Longest single retry wait." default:"30s"`
}

// ServerConfig is the connection part of a Config, for other commands
// (weekly-report --source clickhouse).
func (f ServerFlags) ServerConfig() Config { return f.config() }

func (f ServerFlags) config() Config {
	return Config{URL: f.ClickhouseURL, Database: f.Database, User: f.ClickhouseUser,
		PasswordFile: f.ClickhousePasswordFile, CAFile: f.CAFile, Timeout: f.Timeout,
		Retry: Retry{Attempts: f.Retries, Base: f.RetryWait, Max: f.RetryMax}}
}

// Command is eve-ship's kong model.
type Command struct {
	cli.Common
	cli.Service
	ServerFlags

	EventTypes []string `name:"event-types" help:"Event types to ship, comma-separated (flow, dns, http, tls, fileinfo… on request; all for every type)." default:"alert,stats,anomaly" sep:","`
	Sensor     string   `help:"Sensor name stored in every row (default: the host name)." placeholder:"NAME"`
	BatchLines int      `name:"batch-lines" help:"Rows per batch: one INSERT per table and one checkpoint commit." default:"10000"`
	BatchBytes int      `name:"batch-bytes" help:"Row bytes per batch." default:"16777216"`
	Start      string   `help:"Where a first run (no state) begins: end, beginning or all." default:"end" enum:"end,beginning,all"`
	ResetState bool     `help:"Discard the checkpoint (even a corrupt one) and start per --start; resent records keep their event ids."`

	Ship   shipCmd   `cmd:"" default:"withargs" help:"Insert the new eve records since the last run (default)."`
	Schema schemaCmd `cmd:"" help:"Print (or --apply) the ClickHouse tables: alerts, stats, events."`
}

// NewCommand wires the subcommands to the shared flags.
func NewCommand() *Command {
	c := &Command{}
	c.Ship.root, c.Schema.root = c, c
	return c
}

type shipCmd struct{ root *Command }

func (s *shipCmd) Run(ctx context.Context, env *cli.Env) error {
	c := s.root
	cfg := c.config()
	cfg.Eve, cfg.StateDir, cfg.Rotated, cfg.Start, cfg.ResetState = c.Eve, c.StateDir, c.Rotated, c.Start, c.ResetState
	cfg.EventTypes, cfg.Sensor, cfg.BatchLines, cfg.BatchBytes = c.EventTypes, c.Sensor, c.BatchLines, c.BatchBytes
	_, err := Run(ctx, cfg, Deps{Logger: env.Logger, Metrics: env.Metrics})
	return err
}

type schemaCmd struct {
	root     *Command
	Apply    bool     `help:"Run the statements against --clickhouse-url (and every --shard-url) instead of printing them."`
	Cluster  string   `help:"Cluster name of remote_servers: create <table>_local on each shard and Distributed tables sharded by sensor." placeholder:"NAME"`
	ShardURL []string `name:"shard-url" help:"With --cluster --apply: HTTP URL of each further shard, where the same tables are created (no ZooKeeper needed)." placeholder:"URL"`
}

func (s *schemaCmd) Run(ctx context.Context, env *cli.Env) error {
	c := s.root
	stmts := Schema(SchemaOptions{Database: c.Database, Cluster: s.Cluster})
	if !s.Apply {
		fmt.Fprintf(env.Stdout, "-- eve-ship tables (ClickHouse 18.16 and later). Apply with: eve-ship schema --apply\n")
		for _, st := range stmts {
			fmt.Fprintf(env.Stdout, "%s;\n\n", st)
		}
		return nil
	}
	if len(s.ShardURL) > 0 && s.Cluster == "" {
		return exitcode.Usagef("--shard-url needs --cluster")
	}
	urls := append([]string{c.ClickhouseURL}, s.ShardURL...)
	for _, u := range urls {
		cfg := c.config()
		cfg.URL = u
		client, secrets, err := NewClient(cfg, Deps{Logger: env.Logger})
		if err != nil {
			return secrets.Error(err)
		}
		for _, st := range stmts {
			if err := client.Exec(ctx, st); err != nil {
				first, _, _ := strings.Cut(st, "\n")
				err = fmt.Errorf("%s: %s: %w", u, first, err)
				return secrets.Error((&shipper{}).classify(ctx, err))
			}
		}
		env.Logger.Info("schema applied", "url", u, "statements", len(stmts))
	}
	return nil
}
