// Package suricron is the root of the suricron tool set: small, independent
// commands that a Suricata sensor runs from cron (rules-update,
// alert-digest, telemetry-send, dump-data, weekly-report).
//
// Layout: cmd/<command>/main.go is only wiring (parse flags, call Run, map
// the error to an exit code through internal/cli). Everything else lives in
// internal/, one package per domain: eve (reading eve.json), checkpoint
// (where each command stopped, across rotation), cli (flags, config, exit
// codes), mail (MIME and transports), rules, digest, telemetry, report, and
// homenet. tools/ holds developer tools such as the evegen sample generator.
// There is no util package. This file exists for the repository hygiene test
// (all_test.go) and as the map of the tree.
package suricron
