package mailtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Parsed is a message taken apart for assertions.
type Parsed struct {
	Header  netmail.Header
	Subject string // RFC 2047 decoded
	Text    string // text/plain body (parts concatenated), transfer-decoded
	HTML    string // text/html body, transfer-decoded
	// Inline holds parts with a Content-ID that are not attachments, such
	// as cid: images; Attachments holds Content-Disposition: attachment.
	Inline      []Part
	Attachments []Part
	// Structure lists the media types depth-first, e.g.
	// ["multipart/alternative", "text/plain", "multipart/related", ...].
	Structure []string
}

// Part is one decoded non-text part.
type Part struct {
	ContentID   string // without angle brackets
	ContentType string // media type without parameters
	Filename    string
	Data        []byte
}

// maxDepth bounds multipart nesting, so a hostile message cannot recurse
// without end.
const maxDepth = 8

// ParseMessage parses an RFC 5322 message with CRLF or LF line endings (a
// Maildir file from postfix has LF), walking multipart bodies and decoding
// quoted-printable and base64.
func ParseMessage(raw []byte) (*Parsed, error) {
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parse message: %w", err)
	}
	p := &Parsed{Header: m.Header}
	dec := new(mime.WordDecoder)
	if p.Subject, err = dec.DecodeHeader(m.Header.Get("Subject")); err != nil {
		return nil, fmt.Errorf("parse message: subject: %w", err)
	}
	if err := p.walk(headerGetter(m.Header), m.Body, 0); err != nil {
		return nil, fmt.Errorf("parse message: %w", err)
	}
	return p, nil
}

type getter interface{ Get(string) string }

type headerGetter netmail.Header

func (h headerGetter) Get(k string) string { return netmail.Header(h).Get(k) }

func (p *Parsed) walk(h getter, body io.Reader, depth int) error {
	if depth > maxDepth {
		return errors.New("multipart nesting too deep")
	}
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=us-ascii"
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("content type %q: %w", ct, err)
	}
	p.Structure = append(p.Structure, mt)
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", mt, err)
			}
			if err := p.walk(part.Header, part, depth+1); err != nil {
				return err
			}
		}
	}
	data, err := decodeBody(h.Get("Content-Transfer-Encoding"), body)
	if err != nil {
		return fmt.Errorf("%s body: %w", mt, err)
	}
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	cid := strings.Trim(strings.TrimSpace(h.Get("Content-ID")), "<>")
	switch {
	case disp != "attachment" && cid == "" && mt == "text/plain":
		p.Text += string(data)
	case disp != "attachment" && cid == "" && mt == "text/html":
		p.HTML += string(data)
	default:
		name := dparams["filename"]
		if name == "" {
			name = params["name"]
		}
		part := Part{ContentID: cid, ContentType: mt, Filename: name, Data: data}
		if disp == "attachment" || cid == "" {
			p.Attachments = append(p.Attachments, part)
		} else {
			p.Inline = append(p.Inline, part)
		}
	}
	return nil
}

func decodeBody(cte string, r io.Reader) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	case "", "7bit", "8bit", "binary":
	default:
		return nil, fmt.Errorf("unknown transfer encoding %q", cte)
	}
	return io.ReadAll(r)
}

// MaildirMessage is one delivered file.
type MaildirMessage struct {
	Path string
	Raw  []byte
	*Parsed
}

// ReadMaildir reads and parses every message in dir/new and dir/cur,
// oldest first (by modification time, then name).
func ReadMaildir(dir string) ([]*MaildirMessage, error) {
	type entry struct {
		path string
		mod  time.Time
	}
	var files []entry
	for _, sub := range []string{"new", "cur"} {
		des, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			return nil, fmt.Errorf("read maildir: %w", err)
		}
		for _, de := range des {
			if !de.Type().IsRegular() || strings.HasPrefix(de.Name(), ".") {
				continue
			}
			fi, err := de.Info()
			if err != nil {
				return nil, fmt.Errorf("read maildir: %w", err)
			}
			files = append(files, entry{filepath.Join(dir, sub, de.Name()), fi.ModTime()})
		}
	}
	sort.Slice(files, func(i, j int) bool {
		if !files[i].mod.Equal(files[j].mod) {
			return files[i].mod.Before(files[j].mod)
		}
		return files[i].path < files[j].path
	})
	out := make([]*MaildirMessage, 0, len(files))
	for _, f := range files {
		raw, err := os.ReadFile(f.path)
		if err != nil {
			return nil, fmt.Errorf("read maildir: %w", err)
		}
		p, err := ParseMessage(raw)
		if err != nil {
			return nil, fmt.Errorf("read maildir %s: %w", f.path, err)
		}
		out = append(out, &MaildirMessage{Path: f.path, Raw: raw, Parsed: p})
	}
	return out, nil
}

// WaitMaildir polls dir until match accepts one of its messages, and
// returns that message. Delivery by an MTA is asynchronous, hence the
// polling; ctx bounds the wait.
func WaitMaildir(ctx context.Context, dir string, match func(*MaildirMessage) bool) (*MaildirMessage, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		msgs, err := ReadMaildir(dir)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if match(m) {
				return m, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for maildir %s (%d messages, none matched): %w", dir, len(msgs), ctx.Err())
		case <-tick.C:
		}
	}
}
