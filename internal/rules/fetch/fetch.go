// Package fetch downloads rule tarballs conditionally and keeps the last
// good copy of each source in a cache directory. It never trusts a body it
// has not checked: HTTP status, Content-Length, a size cap and, when the
// source publishes one (as ET does), the ".md5" sidecar.
package fetch

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/suricron/suricron/internal/atomicfile"
)

// ErrBadData marks a response that was received but must not be used
// (HTTP 4xx, md5 mismatch, oversized, truncated).
var ErrBadData = errors.New("bad download")

// ErrUnavailable marks a failure that may pass by itself (network error,
// timeout, HTTP 5xx or 429, offline without a cache).
var ErrUnavailable = errors.New("source unavailable")

// Meta describes the cached copy of one source.
type Meta struct {
	// URL is the source as configured, with the oinkcode placeholder (never
	// the secret) so the cache can be written and logged safely.
	URL          string    `json:"url"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	MD5          string    `json:"md5"`
	Size         int64     `json:"size"`
	Fetched      time.Time `json:"fetched"`
}

// Fetcher gets sources over http(s) or from file:// URLs.
type Fetcher struct {
	Client    *http.Client
	CacheDir  string
	UserAgent string
	MaxBytes  int64
	// Offline uses only the cache.
	Offline bool
	Logger  *slog.Logger
	Now     func() time.Time
	// Redact removes secrets from anything that reaches a message.
	Redact func(string) string
	// Headers holds extra request headers per source, keyed by its
	// configured URL (e.g. Authorization for ET Pro telemetry or MISP);
	// they go with the .md5 request too, as suricata-update sends them.
	Headers map[string]map[string]string
	// NoChecksum lists configured URLs whose source publishes no ".md5"
	// sidecar (an index entry's "checksum: false"): not asked for.
	NoChecksum map[string]bool
}

// Result of one fetch. Body is nil when NotModified.
type Result struct {
	Key         string
	NotModified bool
	Body        []byte
	Meta        Meta
}

// Key is the cache name of a source, derived from its configured URL (with
// the placeholder, not the oinkcode).
func Key(configured string) string {
	h := sha256.Sum256([]byte(configured))
	return hex.EncodeToString(h[:8])
}

func (f *Fetcher) paths(key string) (data, meta string) {
	return filepath.Join(f.CacheDir, key+".tar.gz"), filepath.Join(f.CacheDir, key+".json")
}

// CachedMeta returns the cache metadata for key, or nil when there is no
// usable cache entry.
func (f *Fetcher) CachedMeta(key string) *Meta {
	if f.CacheDir == "" {
		return nil
	}
	dp, mp := f.paths(key)
	b, err := os.ReadFile(mp)
	if err != nil {
		return nil
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		f.Logger.Warn("ignoring unreadable cache metadata", "file", mp, "err", err)
		return nil
	}
	if fi, err := os.Stat(dp); err != nil || fi.Size() != m.Size {
		return nil
	}
	return &m
}

// LoadCached returns the cached body for key, verifying its md5.
func (f *Fetcher) LoadCached(key string) ([]byte, *Meta, error) {
	m := f.CachedMeta(key)
	if m == nil {
		return nil, nil, fmt.Errorf("no cached copy of %s: %w", key, ErrUnavailable)
	}
	dp, _ := f.paths(key)
	b, err := os.ReadFile(dp)
	if err != nil {
		return nil, nil, fmt.Errorf("read cache %s: %w", dp, err)
	}
	if sum := md5hex(b); sum != m.MD5 {
		return nil, nil, fmt.Errorf("cache %s: md5 %s, metadata says %s: %w", dp, sum, m.MD5, ErrBadData)
	}
	return b, m, nil
}

// Store writes body and meta to the cache atomically (temp, fsync, rename).
func (f *Fetcher) Store(key string, body []byte, m Meta) error {
	if err := os.MkdirAll(f.CacheDir, 0o700); err != nil {
		return fmt.Errorf("create cache dir: %w", err)
	}
	dp, mp := f.paths(key)
	if err := atomicfile.Write(dp, body, 0o600); err != nil {
		return err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(mp, append(b, '\n'), 0o600)
}

// Fetch gets src (configured is the placeholder form used for the cache key
// and messages; actual is the URL with the oinkcode substituted).
func (f *Fetcher) Fetch(ctx context.Context, configured, actual string) (*Result, error) {
	key := Key(configured)
	cached := f.CachedMeta(key)
	shown := f.Redact(configured)
	if f.Offline {
		if cached == nil {
			return nil, fmt.Errorf("%s: --offline and no cached copy: %w", shown, ErrUnavailable)
		}
		return &Result{Key: key, NotModified: true, Meta: *cached}, nil
	}
	u, err := url.Parse(actual)
	if err != nil {
		return nil, fmt.Errorf("source %s: bad URL", shown)
	}
	var res *Result
	switch u.Scheme {
	case "file":
		res, err = f.fetchFile(u.Path, cached)
	case "http", "https":
		res, err = f.fetchHTTP(ctx, actual, shown, cached, f.Headers[configured], !f.NoChecksum[configured])
	default:
		return nil, fmt.Errorf("source %s: unsupported scheme %q (want http, https or file)", shown, u.Scheme)
	}
	if err != nil {
		return nil, &redacted{msg: "source " + shown + ": " + f.Redact(err.Error()), err: err}
	}
	res.Key = key
	res.Meta.URL = configured
	return res, nil
}

func (f *Fetcher) fetchFile(p string, cached *Meta) (*Result, error) {
	sidecar := ""
	if b, err := os.ReadFile(p + ".md5"); err == nil {
		sidecar = parseMD5(b)
	}
	if cached != nil && sidecar != "" && sidecar == cached.MD5 {
		return &Result{NotModified: true, Meta: *cached}, nil
	}
	fh, err := os.Open(p)
	if err != nil {
		return nil, errors.Join(err, ErrBadData)
	}
	defer fh.Close()
	size := int64(-1)
	if fi, err := fh.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	body, err := readAll(fh, size, f.MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if int64(len(body)) > f.MaxBytes {
		return nil, fmt.Errorf("larger than the %d byte download cap: %w", f.MaxBytes, ErrBadData)
	}
	sum := md5hex(body)
	if sidecar != "" && sidecar != sum {
		return nil, fmt.Errorf("md5 %s does not match %s.md5 (%s): %w", sum, filepath.Base(p), sidecar, ErrBadData)
	}
	if cached != nil && cached.MD5 == sum {
		return &Result{NotModified: true, Meta: *cached}, nil
	}
	return &Result{Body: body, Meta: Meta{MD5: sum, Size: int64(len(body)), Fetched: f.Now()}}, nil
}

func (f *Fetcher) get(ctx context.Context, u string, hdr map[string]string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if f.UserAgent != "" {
		req.Header.Set("User-Agent", f.UserAgent)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := f.Client.Do(req)
	if err != nil {
		// url.Error repeats the URL (and thus the oinkcode); keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return resp, nil
}

// remoteMD5 fetches the ".md5" sidecar. Absence is normal (ET Pro, most
// mirrors); anything else is logged and the download goes ahead unchecked.
func (f *Fetcher) remoteMD5(ctx context.Context, u, shown string, extra map[string]string) string {
	shownMD5 := f.Redact(MD5URL(shown))
	resp, err := f.get(ctx, MD5URL(u), extra)
	if err != nil {
		f.Logger.Warn("md5 sidecar unavailable", "url", shownMD5, "err", f.Redact(err.Error()))
		return ""
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		f.Logger.Debug("no md5 sidecar", "url", shownMD5, "status", resp.StatusCode)
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	sum := parseMD5(b)
	if sum == "" {
		f.Logger.Warn("md5 sidecar is not an md5 digest; ignoring it", "url", shownMD5)
	}
	return sum
}

func (f *Fetcher) fetchHTTP(ctx context.Context, u, shown string, cached *Meta, extra map[string]string, checksum bool) (*Result, error) {
	sidecar := ""
	if checksum {
		sidecar = f.remoteMD5(ctx, u, shown, extra)
	}
	if cached != nil && sidecar != "" && sidecar == cached.MD5 {
		return &Result{NotModified: true, Meta: *cached}, nil
	}
	hdr := map[string]string{}
	for k, v := range extra {
		hdr[k] = v
	}
	// Conditional headers only make sense when no sidecar told us already
	// that the file changed.
	if cached != nil && sidecar == "" {
		if cached.ETag != "" {
			hdr["If-None-Match"] = cached.ETag
		}
		if cached.LastModified != "" {
			hdr["If-Modified-Since"] = cached.LastModified
		}
	}
	resp, err := f.get(ctx, u, hdr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && cached != nil:
		m := *cached
		if et := resp.Header.Get("ETag"); et != "" {
			m.ETag = et
		}
		return &Result{NotModified: true, Meta: m}, nil
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return nil, fmt.Errorf("HTTP %s: %w", resp.Status, ErrUnavailable)
	default:
		return nil, fmt.Errorf("HTTP %s: %w", resp.Status, ErrBadData)
	}
	if resp.ContentLength > f.MaxBytes {
		return nil, fmt.Errorf("Content-Length %d exceeds the %d byte download cap: %w", resp.ContentLength, f.MaxBytes, ErrBadData)
	}
	body, err := readAll(resp.Body, resp.ContentLength, f.MaxBytes)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("truncated download (%d bytes received): %w", len(body), ErrBadData)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("reading body after %d bytes: %w: %w", len(body), ErrUnavailable, err)
	}
	if int64(len(body)) > f.MaxBytes {
		return nil, fmt.Errorf("body exceeds the %d byte download cap: %w", f.MaxBytes, ErrBadData)
	}
	if resp.ContentLength >= 0 && int64(len(body)) != resp.ContentLength {
		return nil, fmt.Errorf("truncated download: %d of %d bytes: %w", len(body), resp.ContentLength, ErrBadData)
	}
	sum := md5hex(body)
	if sidecar != "" && sum != sidecar {
		return nil, fmt.Errorf("md5 of download %s does not match the .md5 sidecar %s: %w", sum, sidecar, ErrBadData)
	}
	m := Meta{
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		MD5:          sum,
		Size:         int64(len(body)),
		Fetched:      f.Now(),
	}
	if cached != nil && cached.MD5 == sum {
		return &Result{NotModified: true, Meta: m}, nil
	}
	return &Result{Body: body, Meta: m}, nil
}

// MD5URL is the URL of the ".md5" sidecar of the tarball at u: ".md5" goes
// on the path, before any query string or fragment, so that
// "https://h/x.tar.gz?key=K" gives "https://h/x.tar.gz.md5?key=K" (appending
// it to the whole URL asked for "?key=K.md5", a wrong key).
func MD5URL(u string) string {
	cut := len(u)
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		cut = i
	}
	return u[:cut] + ".md5" + u[cut:]
}

func md5hex(b []byte) string {
	h := md5.Sum(b) //nolint:gosec // ET publishes md5; integrity against corruption, not attack
	return hex.EncodeToString(h[:])
}

// parseMD5 accepts a bare digest or md5sum output ("digest  name").
func parseMD5(b []byte) string {
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return ""
	}
	s := strings.ToLower(fields[0])
	if len(s) != 32 {
		return ""
	}
	if _, err := hex.DecodeString(s); err != nil {
		return ""
	}
	return s
}

// redacted carries a cleaned message while keeping the cause for errors.Is.
type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// readAll is io.ReadAll of at most max+1 bytes of r (one more than allowed,
// so that callers can tell "too big"), with the buffer sized from hint, the
// expected length (Content-Length or file size; -1 if unknown): a 2 MB
// tarball then takes one allocation instead of io.ReadAll's growing series
// of copies. A wrong hint costs only speed.
func readAll(r io.Reader, hint, max int64) ([]byte, error) {
	lr := io.LimitReader(r, max+1)
	if hint < 0 || hint > max {
		return io.ReadAll(lr)
	}
	// One spare byte lets the final Read report EOF without a regrowth.
	b := make([]byte, 0, hint+1)
	for {
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// QuerySecrets returns the values of the query parameters of u whose name
// says they are a credential (key=, code=, token=, secret=, pass…=, auth…=,
// sig…=): private mirrors and ET Pro resellers authenticate that way, and
// the generic scrubber knows only some of those names.
func QuerySecrets(u string) []string {
	pu, err := url.Parse(u)
	if err != nil {
		return nil
	}
	var out []string
	for name, vals := range pu.Query() {
		n := strings.ToLower(name)
		for _, w := range []string{"key", "code", "token", "secret", "pass", "auth", "sig"} {
			if strings.Contains(n, w) {
				for _, v := range vals {
					if v != "" && !strings.Contains(v, "%") {
						out = append(out, v)
					}
				}
				break
			}
		}
	}
	return out
}
