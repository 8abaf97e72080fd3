package digest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/suricron/suricron/internal/atomicfile"
	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/mail"
	"github.com/suricron/suricron/internal/notify"
	"github.com/suricron/suricron/internal/secretfile"
)

// Delivery is where a digest goes besides (or instead of) mail, and which
// profile this run is: flags, [digest] keys and [digest.profile.NAME] keys,
// embedded in cmd/alert-digest like mail.Options.
type Delivery struct {
	Profile         string        `help:"Run profile NAME: [digest.profile.NAME] of the config file overrides the other keys, and the profile keeps its own checkpoint and lock (alert-digest-NAME.state.json)." config:"-" placeholder:"NAME"`
	WebhookURLFile  string        `help:"File holding a webhook URL (a secret: never logged or shown)." placeholder:"FILE"`
	WebhookFormat   string        `help:"Webhook payload: slack (Block Kit), teams (workflow webhook, Adaptive Card), mattermost, json (the digest document)." default:"slack" enum:"slack,teams,mattermost,json"`
	Exec            string        `help:"Run CMD with the digest JSON on stdin (split at spaces, no shell); exit 0 = delivered, 75 = retry later." placeholder:"CMD"`
	NoMail          bool          `help:"Do not mail the digest: deliver it only to the webhook and --exec."`
	DeliverAttempts int           `help:"Tries per destination in one run (back-off 2 s, 4 s, …) before exit 75." default:"4" placeholder:"N"`
	WebhookCAFile   string        `help:"PEM CA file to verify the webhook server's certificate instead of the system roots." placeholder:"FILE"`
	HookTimeout     time.Duration `help:"Limit for one webhook request or --exec run." default:"30s"`

	// sleep replaces the back-off timer in tests (nil: real waits).
	sleep func(ctx context.Context, d time.Duration) error
}

var profileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// consumer names the profile's checkpoint and lock files: the default
// profile keeps the name it always had.
func (d Delivery) consumer() string {
	if d.Profile == "" {
		return Consumer
	}
	return Consumer + "-" + d.Profile
}

// outlets are the destinations of one profile, built before anything is
// read so that a bad setting fails at once (exit 2).
type outlets struct {
	mail     mail.Sender // nil: --no-mail
	dests    []notify.Destination
	stateDir string
	consumer string
	log      *slog.Logger
}

func newOutlets(cfg Config, sender mail.Sender, log *slog.Logger) (*outlets, error) {
	d := cfg.Deliver
	if d.Profile != "" && !profileName.MatchString(d.Profile) {
		return nil, exitcode.Usagef("--profile %q: want letters, digits, - and _ (up to 64)", d.Profile)
	}
	o := &outlets{stateDir: cfg.StateDir, consumer: d.consumer(), log: log}
	if d.NoMail && d.WebhookURLFile == "" && d.Exec == "" {
		// The checkpoint would move past alerts that went nowhere.
		return nil, exitcode.Usagef("--no-mail: no other destination (--webhook-url-file or --exec)")
	}
	if !d.NoMail {
		o.mail = sender
	}
	retry := notify.Retry{Attempts: d.DeliverAttempts, Sleep: d.sleep}
	if d.DeliverAttempts < 0 || d.DeliverAttempts > 20 {
		return nil, exitcode.Usagef("--deliver-attempts %d: want 1 to 20", d.DeliverAttempts)
	}
	if d.WebhookURLFile != "" {
		format, err := notify.ParseFormat(d.WebhookFormat)
		if err != nil {
			return nil, exitcode.Usage(fmt.Errorf("--webhook-format: %w", err))
		}
		u, err := secretfile.Read(d.WebhookURLFile)
		if err != nil {
			return nil, fmt.Errorf("--webhook-url-file: %w", err)
		}
		w, err := notify.NewWebhook(format, u)
		if err != nil {
			return nil, exitcode.Usage(fmt.Errorf("--webhook-url-file %s: %w", d.WebhookURLFile, err))
		}
		w.Client = notify.NewHTTPClient(d.HookTimeout)
		if d.WebhookCAFile != "" {
			pool, err := loadCA(d.WebhookCAFile)
			if err != nil {
				return nil, exitcode.Usage(fmt.Errorf("--webhook-ca-file: %w", err))
			}
			w.Client.Transport = &http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
		}
		w.Retry = retry
		w.UserAgent = "suricron-alert-digest"
		o.dests = append(o.dests, w)
	}
	if d.Exec != "" {
		e, err := notify.NewExec(d.Exec)
		if err != nil {
			return nil, exitcode.Usage(fmt.Errorf("--exec: %w", err))
		}
		e.Timeout, e.Retry = d.HookTimeout, retry
		o.dests = append(o.dests, e)
	}
	return o, nil
}

func loadCA(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return pool, nil
}

// outgoing is one digest ready for every destination.
type outgoing struct {
	ID      string
	Alerts  int64
	Doc     *Document
	From    string
	To      []string
	Raw     []byte // the RFC 5322 message
	Subject string
}

// mailDest adapts the mail sender to notify's outcome types.
type mailDest struct {
	s mail.Sender
	b *outgoing
}

func (m mailDest) Name() string { return "mail" }

func (m mailDest) Deliver(ctx context.Context, _ *notify.Digest) error {
	err := m.s.Send(ctx, m.b.From, m.b.To, m.b.Raw)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil || mail.IsTemporary(err):
		return &notify.Error{Dest: "mail", Outcome: notify.Temporary, Err: err}
	}
	return &notify.Error{Dest: "mail", Outcome: notify.Permanent, Err: err}
}

// deliver hands the batch to every destination of the profile. The caller
// commits the checkpoint only when this returns nil: every destination
// accepted. Destinations that accepted an earlier attempt of the same
// batch (same id) are not sent it again: the list is kept in
// <consumer>.accepted.json beside the checkpoint. A failure leaves the
// batch pending; the error is temporary (exit 75) if any destination may
// succeed later, else a failure (exit 1) with the receivers' answers.
func (o *outlets) deliver(ctx context.Context, b *outgoing) error {
	digest, err := notifyDigest(b)
	if err != nil {
		return err
	}
	dests := slices.Clone(o.dests)
	if o.mail != nil {
		dests = append([]notify.Destination{mailDest{o.mail, b}}, dests...)
	}
	done := o.accepted(b.ID)
	var temp, perm []error
	for _, d := range dests {
		if done[d.Name()] {
			o.log.Info("destination already accepted this batch; not sent again", "destination", d.Name(), "batch", b.ID)
			continue
		}
		err := d.Deliver(ctx, digest)
		switch notify.OutcomeOf(err) {
		case notify.Delivered:
			o.log.Info("digest delivered", "destination", d.Name(), "batch", b.ID, "alerts", b.Alerts)
			done[d.Name()] = true
			if len(dests) > 1 {
				if err := o.saveAccepted(b.ID, done); err != nil {
					// Only costs a duplicate on the next attempt.
					o.log.Warn("cannot record accepted destination", "err", err)
				}
			}
		case notify.Temporary:
			temp = append(temp, err)
		default:
			perm = append(perm, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	all := append(perm, temp...)
	if len(all) == 0 {
		return nil
	}
	err = fmt.Errorf("send digest (batch %s, %s kept for the next run): %w", b.ID, plural(b.Alerts, "alert", "alerts"), errors.Join(all...))
	if ctx.Err() != nil {
		return err
	}
	if len(temp) > 0 {
		return exitcode.TempFail(err)
	}
	return err
}

type acceptedFile struct {
	Batch    string   `json:"batch"`
	Accepted []string `json:"accepted"`
}

func (o *outlets) acceptedPath() string {
	return filepath.Join(o.stateDir, o.consumer+".accepted.json")
}

// accepted returns the destinations that already took batch id.
func (o *outlets) accepted(id string) map[string]bool {
	out := map[string]bool{}
	b, err := os.ReadFile(o.acceptedPath())
	if err != nil {
		return out
	}
	var f acceptedFile
	if json.Unmarshal(b, &f) != nil || f.Batch != id {
		return out // another batch's, or unreadable: send to all
	}
	for _, n := range f.Accepted {
		out[n] = true
	}
	return out
}

func (o *outlets) saveAccepted(id string, done map[string]bool) error {
	f := acceptedFile{Batch: id}
	for n := range done {
		f.Accepted = append(f.Accepted, n)
	}
	slices.Sort(f.Accepted)
	b, _ := json.Marshal(f)
	return atomicfile.Write(o.acceptedPath(), append(b, '\n'), 0o600)
}

// notifyDigest is the chat view of the document: a summary, one item per
// signature (Sections in detail, Others by name) and the document as JSON.
func notifyDigest(b *outgoing) (*notify.Digest, error) {
	doc := b.Doc
	js, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("digest document: %w", err)
	}
	d := &notify.Digest{
		Batch: b.ID, Title: b.Subject, Alerts: doc.Alerts, Signatures: doc.Signatures,
		Notes: doc.Notes, JSON: js,
	}
	if d.Title == "" {
		d.Title = fmt.Sprintf("[suricron] %s: %d alerts, %d signatures (%d high)", doc.Host, doc.Alerts, doc.Signatures, doc.High)
	}
	d.Summary = append(d.Summary,
		fmt.Sprintf("%s, %s: %s high, %s medium, %s low", plural(doc.Alerts, "alert", "alerts"),
			plural(int64(doc.Signatures), "signature", "signatures"), thousands(doc.High), thousands(doc.Medium), thousands(doc.Low)),
		fmt.Sprintf("%s to %s on %s", doc.Start.Format(timeLayout), doc.End.Format(timeLayout), doc.Host))
	if len(doc.New) > 0 {
		d.Summary = append(d.Summary, "New signatures: "+sigList(doc.New, 5))
	}
	if len(doc.Fresh) > 0 {
		d.Summary = append(d.Summary, "From fresh rules: "+sigList(doc.Fresh, 5))
	}
	for _, s := range doc.Sections {
		d.Items = append(d.Items, sectionItem(s))
	}
	for _, s := range doc.Others {
		d.Items = append(d.Items, notify.Item{SID: s.SID, Signature: s.Signature, Severity: s.Severity, Count: s.Count, Tags: sigTags(s)})
	}
	return d, nil
}

func sigList(s []SigCount, n int) string {
	var parts []string
	for i, c := range s {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(s)-n))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", c.Signature, thousands(c.Count)))
	}
	return strings.Join(parts, "; ")
}

func sigTags(s SigCount) []string {
	var t []string
	if s.New {
		t = append(t, "new")
	}
	if s.Fresh {
		t = append(t, "fresh rule")
	}
	return t
}

func sectionItem(s Section) notify.Item {
	it := notify.Item{SID: s.SID, Signature: s.Signature, Severity: s.Severity, Count: s.Count, Tags: sigTags(s.SigCount)}
	srcs, dsts := plural(int64(s.Sources), "source", "sources"), plural(int64(s.Destinations), "destination", "destinations")
	if s.SourcesCapped {
		srcs = "over " + srcs
	}
	if s.DestinationsCapped {
		dsts = "over " + dsts
	}
	it.Lines = append(it.Lines, fmt.Sprintf("%s → %s, %s to %s", srcs, dsts,
		s.FirstSeen.Format(timeLayout), s.LastSeen.Format(timeLayout)))
	for _, p := range s.Pairs {
		ports := make([]string, len(p.DstPorts))
		for i, n := range p.DstPorts {
			ports[i] = fmt.Sprint(n)
		}
		ps := strings.Join(ports, ",")
		if p.MorePorts {
			ps += ",…"
		}
		if ps != "" {
			ps = " port " + ps
		}
		it.Lines = append(it.Lines, fmt.Sprintf("%s → %s%s ×%s", p.Src, p.Dst, ps, thousands(p.Count)))
	}
	if s.MorePairs > 0 {
		it.Lines = append(it.Lines, fmt.Sprintf("and %s more pairs", thousands(s.MorePairs)))
	}
	if len(s.Actions) > 0 {
		keys := make([]string, 0, len(s.Actions))
		for k := range s.Actions {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %s", k, thousands(s.Actions[k])))
		}
		it.Lines = append(it.Lines, "Action: "+strings.Join(parts, ", "))
	}
	for _, c := range s.Context {
		it.Lines = append(it.Lines, fmt.Sprintf("%s: %s ×%s", c.Field, c.Value, thousands(c.Count)))
	}
	return it
}
