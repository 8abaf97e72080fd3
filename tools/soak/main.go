// Command soak runs the crash and rotation soak of the built suricron
// commands (package tools/soak/soak) for a set time, once per logrotate mode,
// and prints written / delivered / duplicated / lost per command. It exits 1
// when a guarantee was broken. `make soak SOAKTIME=5m` runs it; with
// SURICRON_POSTFIX=1 the digests go to the real postfix of tools/mta.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/suricron/suricron/internal/mail/mailtest"
	"github.com/suricron/suricron/tools/soak/soak"
)

func main() {
	bin := flag.String("bin", "bin", "directory with the built commands (make build)")
	total := flag.Duration("duration", 5*time.Minute, "total soak time, shared by the modes")
	modes := flag.String("modes", soak.ModeCreate+","+soak.ModeCopytruncate, "logrotate modes, comma-separated")
	rate := flag.Int("rate", 200, "alerts written per second")
	killProb := flag.Float64("kill", 0.4, "chance that a run is SIGKILLed at a random moment")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "random seed (printed, to replay a round)")
	work := flag.String("dir", "", "work directory (default: a new temp dir, removed on success)")
	jsonOut := flag.String("json", "", "also write the results as JSON to this file")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dir := *work
	if dir == "" {
		d, err := os.MkdirTemp("", "suricron-soak-")
		if err != nil {
			fatal(err)
		}
		dir = d
	}
	absBin, err := filepath.Abs(*bin)
	if err != nil {
		fatal(err)
	}
	var smtp *soak.SMTP
	if mta, ok := mailtest.PostfixFromEnv(); ok {
		smtp = &soak.SMTP{URL: mta.URL, CAFile: mta.CAFile, Maildir: mta.Maildir}
	}
	ms := strings.Split(*modes, ",")
	per := *total / time.Duration(len(ms))
	fmt.Printf("soak: %s per mode (%s), %d alerts/s, kill chance %.2f, seed %d, digests via %s, work dir %s\n",
		per, *modes, *rate, *killProb, *seed, map[bool]string{true: "postfix", false: "sendmail stand-in"}[smtp != nil], dir)
	var all []soak.Result
	for _, m := range ms {
		rs, err := soak.Run(ctx, soak.Config{
			Bin: absBin, Dir: filepath.Join(dir, m), Duration: per, Mode: m, Rate: *rate,
			KillProb: *killProb, Seed: *seed, SMTP: smtp,
			Logf: func(f string, a ...any) { fmt.Printf("soak: "+f+"\n", a...) },
		})
		if err != nil {
			fatal(fmt.Errorf("mode %s: %w", m, err))
		}
		all = append(all, rs...)
	}
	soak.Format(os.Stdout, all)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(all, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			fatal(err)
		}
	}
	for _, r := range all {
		if !r.OK() {
			fmt.Printf("soak: FAILED; work dir kept: %s\n", dir)
			os.Exit(1)
		}
	}
	if *work == "" {
		os.RemoveAll(dir)
	}
	fmt.Println("soak: OK (lost = 0 for every command)")
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "soak:", err)
	os.Exit(1)
}
