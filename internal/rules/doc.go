// Package rules implements rules-update: fetch rule tarballs (ET Open, ET
// Pro, any URL) conditionally, refuse anything suspicious, apply the
// operator's oinkmaster.conf and suricata-update style policy with
// suricata-update's semantics, and install one merged suricata.rules
// atomically, tested and reloaded, with a change report.
package rules
