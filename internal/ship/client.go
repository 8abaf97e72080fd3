package ship

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/printable"
)

// Client talks to ClickHouse's HTTP interface: the one protocol that both
// 18.16 and current servers speak the same way (clickhouse-go's HTTP mode
// sends a setting 18.16 rejects).
type Client struct {
	URL      string // http(s)://host:8123
	Database string
	User     string
	Password string
	HTTP     *http.Client
	Retry    Retry
	Sleep    func(context.Context, time.Duration) error
	// Settings are added to every insert's URL.
	Settings url.Values
}

// Retry is the back-off of one request on network errors and 5xx.
type Retry struct {
	Attempts int
	Base     time.Duration
	Max      time.Duration
}

// ServerError is a non-200 answer with ClickHouse's exception code.
type ServerError struct {
	Status int
	Code   int // "Code: NN" of the body; 0 when absent
	Msg    string
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("clickhouse answered %d: %s", e.Status, e.Msg)
}

// dataCodes are the exception codes of a value ClickHouse could not read:
// only these make eve-ship bisect a batch and quarantine the refused rows.
// Anything else (unknown table, auth, syntax) is not the rows' fault and
// must not move them into quarantine.
var dataCodes = map[int]bool{
	6: true, 26: true, 27: true, 38: true, 41: true, 53: true, 69: true, 70: true,
	72: true, 117: true, 131: true, 321: true,
}

// Refused reports an answer that blames the data.
func (e *ServerError) Refused() bool {
	return e.Status == http.StatusBadRequest && dataCodes[e.Code] || e.Status == 500 && dataCodes[e.Code]
}

// temporary says whether a retry may succeed.
func (e *ServerError) temporary() bool {
	if e.Refused() {
		return false
	}
	return e.Status >= 500 || e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests
}

var codeRE = regexp.MustCompile(`Code: (\d+)`)

// NewHTTPClient builds the transport: a CA file for a private PKI, bounded
// timeouts so a stuck server ends in exit 75, not a hung cron job.
func NewHTTPClient(caFile string, timeout time.Duration) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 4
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, exitcode.Usagef("--ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, exitcode.Usagef("--ca-file %s: no PEM certificate in it", caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}

// Insert sends rows (JSON lines) into table, retrying network errors and
// temporary answers with back-off. The error is a *ServerError for an
// answer, anything else for the transport.
func (c *Client) Insert(ctx context.Context, table string, body []byte) error {
	q := url.Values{}
	for k, v := range c.Settings {
		q[k] = v
	}
	q.Set("query", fmt.Sprintf("INSERT INTO %s.%s FORMAT JSONEachRow", quoteIdent(c.Database), quoteIdent(table)))
	_, err := c.do(ctx, q, body)
	return err
}

// Query runs a read query and returns the body.
func (c *Client) Query(ctx context.Context, sql string) ([]byte, error) {
	return c.do(ctx, url.Values{"database": {c.Database}}, []byte(sql))
}

// Exec runs DDL (no database preset: CREATE DATABASE must work first).
func (c *Client) Exec(ctx context.Context, sql string) error {
	_, err := c.do(ctx, url.Values{}, []byte(sql))
	return err
}

func (c *Client) do(ctx context.Context, q url.Values, body []byte) ([]byte, error) {
	attempts := max(c.Retry.Attempts, 1)
	wait := c.Retry.Base
	var last error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			d := wait/2 + rand.N(wait/2+1)
			if err := c.Sleep(ctx, d); err != nil {
				return nil, err
			}
			wait = min(wait*2, c.Retry.Max)
		}
		out, err := c.once(ctx, q, body)
		if err == nil {
			return out, nil
		}
		last = err
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var se *ServerError
		if errors.As(err, &se) && !se.temporary() {
			return nil, err
		}
	}
	return nil, last
}

func (c *Client) once(ctx context.Context, q url.Values, body []byte) ([]byte, error) {
	u := strings.TrimRight(c.URL, "/") + "/?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, exitcode.Usagef("--clickhouse-url %q: %w", c.URL, err)
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	if c.User != "" || c.Password != "" {
		// Basic auth: what 18.16 understands (X-ClickHouse-Key came later).
		req.SetBasicAuth(c.User, c.Password)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(string(out))
		if len(msg) > 500 {
			msg = msg[:500] + "…"
		}
		se := &ServerError{Status: resp.StatusCode, Msg: printable.String(msg)}
		if m := codeRE.FindStringSubmatch(msg); m != nil {
			se.Code, _ = strconv.Atoi(m[1])
		}
		return nil, se
	}
	return out, nil
}
