// Package notify delivers a rendered alert digest to chat services and
// hooks: Slack incoming webhooks (Block Kit), Mattermost (its
// Slack-compatible payload), Microsoft Teams workflow webhooks (an Adaptive
// Card in the attachments envelope), a generic JSON POST (the digest
// document itself) and a local command (exec) reading that JSON on stdin.
//
// Each destination returns a typed outcome (delivered, temporary,
// permanent) so that the caller commits its checkpoint only when every
// destination accepted the batch. Temporary failures (network errors, 429,
// 5xx, exit 75) are retried inside the run with exponential back-off,
// bounded by the context and Retry.Attempts; every attempt carries the same
// X-Suricron-Batch id, so a receiver can drop the resends it already has.
//
// Everything taken from eve.json is attacker-controlled. It passes through
// internal/printable and then the escaping of the target format (Slack
// mrkdwn, Markdown for Mattermost and Teams), and payloads are built with
// encoding/json, never by string concatenation, so no signature, host name
// or URL can change a message's structure, add a link or mention anyone.
// Webhook URLs are secrets: they are read from a file by the caller and
// scrubbed (internal/redact) from every error this package returns.
package notify
