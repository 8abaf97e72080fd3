package notify

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/suricron/suricron/internal/printable"
	"github.com/suricron/suricron/internal/redact"
)

// BatchHeader carries the batch id on every request, resends included.
const BatchHeader = "X-Suricron-Batch"

// DefaultTimeout bounds one HTTP attempt.
const DefaultTimeout = 30 * time.Second

// Webhook POSTs the digest to a chat service or JSON receiver.
type Webhook struct {
	Format Format
	URL    string       // a secret: never in an error or log line
	Client *http.Client // nil: one with DefaultTimeout that follows no redirects
	Retry  Retry
	// UserAgent names the sender, e.g. "suricron-alert-digest/1.2".
	UserAgent string
}

// NewWebhook checks the URL (https, or http to a loopback address for a
// local relay) and the format.
func NewWebhook(format Format, rawURL string) (*Webhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url's error quotes the URL: say only what is wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("webhook URL: %v", redact.New(rawURL).String(err.Error()))
	}
	switch {
	case u.Scheme == "https" && u.Host != "":
	case u.Scheme == "http" && u.Host != "" && isLoopback(u.Hostname()):
	default:
		return nil, fmt.Errorf("webhook URL: want https://host/…, or http:// only to a loopback address (scheme %q)", printable.String(u.Scheme))
	}
	if _, err := ParseFormat(string(format)); err != nil {
		return nil, err
	}
	return &Webhook{Format: format, URL: rawURL}, nil
}

func isLoopback(h string) bool {
	return h == "localhost" || h == "::1" || strings.HasPrefix(h, "127.")
}

// Name implements Destination.
func (w *Webhook) Name() string { return "webhook (" + string(w.Format) + ")" }

// secrets scrubs the URL and its path and query (the secret parts of Slack,
// Teams and Mattermost hooks) from error text.
func (w *Webhook) secrets() *redact.Secrets {
	s := redact.New(w.URL)
	if u, err := url.Parse(w.URL); err == nil {
		if len(u.EscapedPath()) > 1 {
			s.Add(u.EscapedPath(), "[redacted]")
			s.Add(u.Path, "[redacted]")
		}
		if u.RawQuery != "" {
			s.Add(u.RawQuery, "[redacted]")
		}
	}
	return s
}

// Deliver implements Destination.
func (w *Webhook) Deliver(ctx context.Context, d *Digest) error {
	body, err := Payload(w.Format, d)
	if err != nil {
		return &Error{Dest: w.Name(), Outcome: Permanent, Err: err}
	}
	client := w.Client
	if client == nil {
		client = NewHTTPClient(DefaultTimeout)
	}
	sec := w.secrets()
	err = w.Retry.run(ctx, w.Name(), func(ctx context.Context) (Outcome, time.Duration, error) {
		out, hint, err := w.post(ctx, client, body, d.Batch)
		return out, hint, sec.Error(err)
	})
	return sec.Error(err)
}

func (w *Webhook) post(ctx context.Context, client *http.Client, body []byte, batch string) (Outcome, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return Permanent, 0, fmt.Errorf("build request: %w", stripURL(err))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set(BatchHeader, batch)
	if w.UserAgent != "" {
		req.Header.Set("User-Agent", w.UserAgent)
	}
	resp, err := client.Do(req)
	if err != nil {
		return Temporary, 0, fmt.Errorf("POST: %w", stripURL(err))
	}
	defer resp.Body.Close()
	line := firstLine(resp.Body)
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return Delivered, 0, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		hint, _ := retryAfter(resp.Header.Get("Retry-After"), time.Now())
		return Temporary, hint, fmt.Errorf("HTTP %d%s", resp.StatusCode, line)
	}
	return Permanent, 0, fmt.Errorf("refused with HTTP %d%s", resp.StatusCode, line)
}

// stripURL drops the URL that net/http quotes in its errors ("Post
// \"https://hooks…\": dial tcp…"): it is the secret.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// firstLine reads the first line of a response body (bounded), sanitised,
// as ": line", or "" for an empty body. The rest is drained so the
// connection can be reused.
func firstLine(r io.Reader) string {
	br := bufio.NewReaderSize(io.LimitReader(r, 64<<10), 4096)
	l, _ := br.ReadString('\n')
	io.Copy(io.Discard, br)
	l = strings.TrimSpace(l)
	if l == "" {
		return ""
	}
	return ": " + cut(printable.String(l), 200)
}

// retryAfter parses Retry-After as seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
}

// NewHTTPClient returns a client for webhooks: a timeout per attempt, and
// no redirects (a POST turned into a GET elsewhere would be reported as
// delivered; the 3xx is shown as a refusal instead).
func NewHTTPClient(timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{
		Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
