package checkpoint

import (
	"bytes"
	"testing"
)

// FuzzDecodeState: no input panics, and whatever decodes re-encodes to a
// form that decodes to the same state (decode(encode(s)) == s, §7.35).
func FuzzDecodeState(f *testing.F) {
	good := &State{Version: 1, Consumer: "c", Source: "/var/log/suricata/eve.json",
		Pos: FilePos{Head: "aa7e6b3a1c5b44d4a3d4a5f3e1f2c3b4a5d6e7f8091a2b3c4d5e6f708192a3b4", HeadLen: 300,
			FirstTS: "2026-11-20T10:00:00.000000+0000", Offset: 1234,
			Anchor: "0011223344556677889900112233445566778899001122334455667788990011", AnchorLen: 256},
		UpdatedAt: "2026-11-20T10:00:00Z", BatchID: "abc",
		Pending: &Pending{BatchID: "x", End: FilePos{Offset: 5}}}
	b, _ := EncodeState(good)
	f.Add(b)
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte("\x00\x00"))
	f.Add([]byte(`{"version":1,"consumer":"c","source":"/var/log/suricata/eve.json","position":{"head":"","head_len":0,"offset":0,"anchor_len":0},"updated_at":"","lines":0,"bad_lines":0,"gap_warnings":0}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		st, err := DecodeState(in, "c", "/var/log/suricata/eve.json")
		if err != nil {
			return
		}
		out, err := EncodeState(st)
		if err != nil {
			t.Fatal(err)
		}
		st2, err := DecodeState(out, "c", "/var/log/suricata/eve.json")
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, out)
		}
		out2, _ := EncodeState(st2)
		if !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}
