// Package digest implements alert-digest: it reads the alerts that Suricata
// wrote to eve.json since the last run (internal/checkpoint), filters them
// (severity, sids, a regular expression on the signature, a suppress file),
// groups them by (sid, source, destination) as EveBox does, and mails one
// multipart text + HTML digest per run (internal/mail).
//
// Delivery is at least once: the checkpoint moves only after the server or
// sendmail accepted the message, and a pending batch is recorded before
// sending so that a crash between acceptance and commit re-sends the same
// alerts under the same X-Suricron-Batch id. A backlog of any size becomes
// one mail: the groups beyond --max-groups are summarised by their totals,
// never dropped, and memory is bounded by the number of groups, not alerts.
package digest
