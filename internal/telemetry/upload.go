package telemetry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/suricron/suricron/internal/printable"
	"github.com/suricron/suricron/internal/redact"
)

// Protocols.
const (
	ProtoETPro  = "etpro"  // the ET Pro Telemetry service: one event per POST, 201 = accepted
	ProtoNDJSON = "ndjson" // any collector: JSON Lines batches with an idempotency key
)

// Paths of the ET Pro Telemetry API (research/telemetry.md §3, §4).
const (
	PathEvent      = "/api/v1/event"
	PathHeartbeat  = "/api/v1/telemetry"
	PathSensorInfo = "/api/v1/sensorinfo"
)

// maxOKBody bounds a success answer (sensorinfo is a small object).
const maxOKBody = 1 << 20

// maxErrBody bounds how much of an error response is read for the log.
const maxErrBody = 512

// Retry is the retry policy for network errors, 408, 429 and 5xx.
type Retry struct {
	Attempts int           // total tries per request, at least 1
	Base     time.Duration // first backoff
	Max      time.Duration // cap of one wait
}

// maxRetryAfter is the longest Retry-After one run sleeps through: the
// longer of Max and two minutes (a cron interval is a few minutes).
func (r Retry) maxRetryAfter() time.Duration {
	return max(r.Max, 2*time.Minute)
}

// backoff returns the wait before try n+1 (n counts from 0): exponential
// with "equal jitter" (half fixed, half random), so a fleet of sensors
// that failed together does not retry in lockstep.
func (r Retry) backoff(n int) time.Duration {
	d := r.Base
	for i := 0; i < n && d < r.Max; i++ {
		d *= 2
	}
	if d > r.Max {
		d = r.Max
	}
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(d-half)+1))
}

// Uploader sends masked events. It never logs or returns the token.
type Uploader struct {
	Client      *http.Client
	Endpoint    string // base URL (etpro) or collector URL (ndjson)
	Token       string
	Protocol    string
	Compress    string // ndjson: gzip, zstd or none
	Concurrency int    // etpro: parallel POSTs on kept-alive connections
	Retry       Retry
	UserAgent   string
	Sleep       func(ctx context.Context, d time.Duration) error
	Now         func() time.Time
	Log         *slog.Logger

	zmu  sync.Mutex
	zenc *zstd.Encoder // reused: a zstd encoder is costly to build per batch

	secOnce sync.Once
	sec     *redact.Secrets

	clientOnce sync.Once
	noRedirect *http.Client
}

// secrets is the scrubber of everything this uploader turns into text: a
// server may echo the token (or the whole Authorization header) in a body.
func (u *Uploader) secrets() *redact.Secrets {
	u.secOnce.Do(func() { u.sec = redact.New(u.Token) })
	return u.sec
}

// ErrAuth means the server refused the token; retrying cannot help.
var ErrAuth = errors.New("server refused the token")

// errRejected marks a 4xx for one request, or a 2xx that is not the
// protocol's success code: counted, not retried, not delivered.
type rejectedError struct{ status int }

func (e *rejectedError) Error() string { return fmt.Sprintf("rejected with HTTP %d", e.status) }

// ErrRedirect means the endpoint answered with a redirect: it is not the
// collector (a POST must not follow it), so nothing is delivered and
// retrying cannot help. The run fails and the checkpoint stays.
var ErrRedirect = errors.New("the endpoint redirects; it is not the collector")

// ErrAllRejected means the server refused every event of the run: a wrong
// endpoint, not a few bad events, so the checkpoint stays.
var ErrAllRejected = errors.New("the server rejected every event of the run; check --endpoint and --protocol")

// ErrTLSVerify means the server's certificate did not verify.
var ErrTLSVerify = errors.New("TLS certificate verification failed")

func tlsVerifyError(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}

// permanent errors stop the other requests of a run at once.
func permanent(err error) bool {
	return errors.Is(err, ErrAuth) || errors.Is(err, ErrRedirect) || errors.Is(err, ErrTLSVerify)
}

// Outcome of sending a list of events.
type Outcome struct {
	Done     int // leading events acknowledged or rejected: the checkpoint may pass them
	Accepted int
	Rejected int
}

// eventKey is a per-event idempotency key: the hash of the exact body, so a
// resend of the same event carries the same key whatever batch it is in.
func eventKey(body []byte) string {
	h := sha256.Sum256(body)
	return hex.EncodeToString(h[:16])
}

// SendEvents posts each body to <endpoint>/api/v1/event (etpro). Up to
// Concurrency requests run at once over kept-alive connections; the outcome
// counts the longest prefix that is settled, since the checkpoint can only
// move past events in order.
func (u *Uploader) SendEvents(ctx context.Context, bodies [][]byte) (Outcome, error) {
	url := strings.TrimRight(u.Endpoint, "/") + PathEvent
	errs := make([]error, len(bodies))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := max(1, u.Concurrency)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				_, errs[i] = u.send(ctx, func() (*http.Request, error) {
					req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(bodies[i]))
					if err != nil {
						return nil, err
					}
					// The body is one JSON object; the plugin omitted the type.
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Idempotency-Key", eventKey(bodies[i]))
					return req, nil
				}, func(code int) bool { return code == http.StatusCreated })
				if permanent(errs[i]) {
					cancel() // every other request would get the same answer
				}
			}
		}()
	}
feed:
	for i := range bodies {
		select {
		case next <- i:
		case <-ctx.Done():
			for j := i; j < len(bodies); j++ {
				errs[j] = ctx.Err()
			}
			break feed
		}
	}
	close(next)
	wg.Wait()

	var out Outcome
	var first error
	settled := true
	for i, err := range errs {
		var rej *rejectedError
		switch {
		case err == nil:
			out.Accepted++
		case errors.As(err, &rej):
			out.Rejected++
			u.Log.Warn("event rejected by the server; skipped", "status", rej.status, "event", i)
		default:
			if first == nil || permanent(err) && !permanent(first) {
				first = err
			}
			settled = false
		}
		if settled {
			out.Done = i + 1
		}
	}
	return out, first
}

// SendBatch posts one JSON Lines batch (ndjson) with its idempotency key.
// A 4xx other than 401/403/408/429 rejects the whole batch: logged,
// counted, not retried.
func (u *Uploader) SendBatch(ctx context.Context, jsonl []byte, key string, events int) (rejected bool, err error) {
	var body []byte
	var encoding string
	if u.Compress == "zstd" {
		body, encoding, err = u.zstd(jsonl)
	} else {
		body, encoding, err = compressBody(jsonl, u.Compress)
	}
	if err != nil {
		return false, err
	}
	_, err = u.send(ctx, func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.Endpoint, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-ndjson")
		if encoding != "" {
			req.Header.Set("Content-Encoding", encoding)
		}
		req.Header.Set("Idempotency-Key", key)
		req.Header.Set("X-Suricron-Events", strconv.Itoa(events))
		return req, nil
	}, func(code int) bool { return code >= 200 && code < 300 })
	var rej *rejectedError
	if errors.As(err, &rej) {
		u.Log.Warn("batch rejected by the collector; skipped", "status", rej.status, "batch", key, "events", events)
		return true, nil
	}
	return false, err
}

func (u *Uploader) zstd(b []byte) ([]byte, string, error) {
	u.zmu.Lock()
	defer u.zmu.Unlock()
	if u.zenc == nil {
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, "", err
		}
		u.zenc = enc
	}
	return u.zenc.EncodeAll(b, nil), "zstd", nil
}

func compressBody(b []byte, method string) ([]byte, string, error) {
	var buf bytes.Buffer
	var zw io.WriteCloser
	var err error
	switch method {
	case "", "none":
		return b, "", nil
	case "gzip":
		zw, err = gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	case "zstd":
		zw, err = zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
	default:
		return nil, "", fmt.Errorf("unknown compression %q (gzip, zstd, none)", method)
	}
	if err != nil {
		return nil, "", err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, "", err
	}
	if err := zw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), method, nil
}

// send performs one request with retries. build must return a fresh
// request each time (bodies are re-read). ok says which status means
// success.
func (u *Uploader) send(ctx context.Context, build func() (*http.Request, error), ok func(int) bool) ([]byte, error) {
	attempts := max(1, u.Retry.Attempts)
	var last error
	for n := 0; n < attempts; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		req, err := build()
		if err != nil {
			return nil, err
		}
		u.authorize(req)
		wait := time.Duration(-1)
		resp, err := u.client().Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if tlsVerifyError(err) {
				// Not transient: retrying a bad certificate only delays
				// the failure (5 tries took 35 s).
				return nil, fmt.Errorf("%s %s: %w: %w (not retried; check the server certificate, the CA store or --endpoint)",
					req.Method, req.URL.Redacted(), ErrTLSVerify, u.secrets().Error(err))
			}
			last = fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), u.secrets().Error(err))
		} else {
			code := resp.StatusCode
			if ok(code) {
				body, err := io.ReadAll(io.LimitReader(resp.Body, maxOKBody))
				resp.Body.Close()
				if err != nil {
					// Acknowledged in the status line; a torn body does not undo that.
					u.Log.Debug("reading response body", "err", err)
				}
				return body, nil
			}
			// The body is the server's text: scrubbed of the token (some
			// servers echo request headers) and of control characters.
			snippet := printable.String(u.secrets().String(drain(resp.Body)))
			switch {
			case code == http.StatusUnauthorized || code == http.StatusForbidden:
				return nil, fmt.Errorf("%w (HTTP %d from %s)", ErrAuth, code, req.URL.Redacted())
			case code >= 300 && code < 400:
				return nil, fmt.Errorf("%w: HTTP %d from %s to %q", ErrRedirect, code, req.URL.Redacted(),
					printable.String(u.secrets().String(resp.Header.Get("Location"))))
			case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500:
				last = fmt.Errorf("%s %s: HTTP %d %s", req.Method, req.URL.Redacted(), code, snippet)
				if ra, okRA := retryAfter(resp.Header.Get("Retry-After"), u.now()); okRA {
					wait = ra
				}
			default:
				// Another 4xx, or a 2xx that is not the protocol's success:
				// resending the same bytes cannot change the answer, so it
				// is rejected rather than resent forever; a run where every
				// event is rejected fails (ErrAllRejected).
				return nil, &rejectedError{status: code}
			}
		}
		if n == attempts-1 {
			break
		}
		b := u.Retry.backoff(n)
		if limit := u.Retry.maxRetryAfter(); wait > limit {
			// A Retry-After longer than a run should wait (up to 136
			// years fits the header) is not slept through, with or
			// without a time budget: the next cron run tries again.
			return nil, fmt.Errorf("%w; the server asks to retry in %s, longer than %s: left for the next run",
				last, wait, limit)
		}
		if wait < b {
			wait = b
		}
		if dl, has := ctx.Deadline(); has && u.now().Add(wait).After(dl) {
			return nil, fmt.Errorf("%w; next retry in %s would pass the time budget", last, wait.Round(time.Millisecond))
		}
		u.Log.Debug("retrying", "err", last, "wait", wait, "attempt", n+2)
		if err := u.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w (after %d attempts)", last, attempts)
}

// client is u.Client that never follows a redirect, whoever built it: a
// redirect means a wrong endpoint, and following one would send the token
// and the events to another host.
func (u *Uploader) client() *http.Client {
	u.clientOnce.Do(func() {
		c := *u.Client
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		u.noRedirect = &c
	})
	return u.noRedirect
}

func (u *Uploader) authorize(req *http.Request) {
	req.Header.Set("Authorization", "Bearer "+u.Token)
	if u.UserAgent != "" {
		req.Header.Set("User-Agent", u.UserAgent)
	}
}

func (u *Uploader) now() time.Time {
	if u.Now != nil {
		return u.Now()
	}
	return time.Now()
}

// drain reads a little of the body for the log and discards the rest, so
// the connection goes back to the keep-alive pool.
func drain(body io.ReadCloser) string {
	defer body.Close()
	b, _ := io.ReadAll(io.LimitReader(body, maxErrBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 1<<20))
	return strings.TrimSpace(strings.ToValidUTF8(string(b), "?"))
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// NewHTTPClient returns a client that keeps connections alive for
// concurrency parallel requests, does not follow redirects (a POST must not
// silently turn into a GET elsewhere) and times out each request.
func NewHTTPClient(timeout time.Duration, concurrency int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = max(2, concurrency)
	tr.MaxConnsPerHost = max(2, concurrency)
	return &http.Client{
		Timeout:   timeout,
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
