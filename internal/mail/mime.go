package mail

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
)

// node is one MIME entity of the message tree: a leaf with its encoded
// data, or a multipart container of children. The tree is complete before
// anything is written, so the structure never depends on the content.
type node struct {
	header    textproto.MIMEHeader
	multipart string // "alternative", "related", "mixed"; "" for a leaf
	boundary  string
	children  []*node
	data      []byte // leaf content before transfer encoding
	qp        bool   // quoted-printable (text); base64 otherwise
}

func textLeaf(mediaType, text string) *node {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", mediaType+"; charset=UTF-8")
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	return &node{header: h, data: []byte(text), qp: true}
}

// assignBoundaries numbers the containers depth first, outermost 1. The
// boundary "=_suricron_N_<tag>" cannot occur in a body: quoted-printable
// writes "=" only before two hex digits and base64 has neither "=" inside
// a line nor "_", and header lines of parts never start with "--".
func (n *node) assignBoundaries(count *int, tag string) {
	if n.multipart == "" {
		return
	}
	*count++
	n.boundary = fmt.Sprintf("=_suricron_%d_%s", *count, tag)
	n.header = textproto.MIMEHeader{}
	n.header.Set("Content-Type", mime.FormatMediaType("multipart/"+n.multipart, map[string]string{"boundary": n.boundary}))
	for _, c := range n.children {
		c.assignBoundaries(count, tag)
	}
}

// writeBody writes the entity's body (not its own header) to b.
func (n *node) writeBody(b *bytes.Buffer) error {
	if n.multipart == "" {
		if n.qp {
			w := quotedprintable.NewWriter(b)
			// Text mode turns every line break into CRLF, but it loses an LF
			// that follows a lone CR with other bytes between (its CR state
			// is not reset): give it LF only.
			if _, err := w.Write(lfOnly(n.data)); err != nil {
				return err
			}
			if err := w.Close(); err != nil {
				return err
			}
			// No CRLF added: the delimiter's leading CRLF belongs to it,
			// so the part reads back exactly as given.
			return nil
		}
		writeBase64(b, n.data)
		return nil
	}
	mw := multipart.NewWriter(b)
	if err := mw.SetBoundary(n.boundary); err != nil {
		return fmt.Errorf("boundary %q: %w", n.boundary, err)
	}
	for _, c := range n.children {
		pw, err := mw.CreatePart(c.header)
		if err != nil {
			return err
		}
		var cb bytes.Buffer
		if err := c.writeBody(&cb); err != nil {
			return err
		}
		if _, err := pw.Write(cb.Bytes()); err != nil {
			return err
		}
	}
	return mw.Close()
}

// writeBase64 writes data in base64 lines of 76 characters (RFC 2045).
func writeBase64(b *bytes.Buffer, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("\r\n")
}

// lfOnly turns CRLF and lone CR into LF: mail text has only CRLF line
// breaks, so a lone CR could not be carried anyway.
func lfOnly(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\r"), []byte("\n"))
}
