package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"
)

type member struct {
	name     string
	typ      byte
	body     string
	linkname string
}

func makeTarGz(t testing.TB, ms []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, m := range ms {
		typ := m.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: m.name, Typeflag: typ, Mode: 0o644, Size: int64(len(m.body)), Linkname: m.linkname, Format: tar.FormatPAX}
		if typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(m.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func keepRules(n string) bool { return strings.HasSuffix(n, ".rules") }

func TestReadGood(t *testing.T) {
	data := makeTarGz(t, []member{
		{name: "rules/", typ: tar.TypeDir},
		{name: "rules/a.rules", body: "alert ip any any -> any any (msg:\"a\"; sid:1;)\n"},
		{name: "./rules/b.rules", body: "x"},
		{name: "rules/LICENSE", body: "BSD"},
	})
	a, err := Read(bytes.NewReader(data), DefaultLimits(), keepRules)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range a.Files {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != "rules/a.rules,rules/b.rules" || a.Entries != 4 {
		t.Errorf("kept %v of %d entries", names, a.Entries)
	}
	if a.Total != int64(len(a.Files[0].Data)+1+3) {
		t.Errorf("Total = %d", a.Total)
	}

	// ReadEach hands out exactly the kept files, in order, with their index.
	var seen []File
	b, err := ReadEach(bytes.NewReader(data), DefaultLimits(), keepRules, func(i int, f File) {
		if i != len(seen) {
			t.Errorf("file %q handed out as index %d, want %d", f.Name, i, len(seen))
		}
		seen = append(seen, f)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(b.Files) || len(seen) != 2 || seen[0] != b.Files[0] || seen[1] != b.Files[1] {
		t.Errorf("ReadEach handed out %v, Files %v", seen, b.Files)
	}
}

func TestReadRejects(t *testing.T) {
	good := makeTarGz(t, []member{{name: "rules/a.rules", body: strings.Repeat("alert ip any any -> any any (msg:\"a\"; sid:1;)\n", 2000)}})
	corrupt := append([]byte(nil), good...)
	corrupt[len(corrupt)/2] ^= 0xff
	badCRC := append([]byte(nil), good...)
	badCRC[len(badCRC)-6] ^= 0xff // the CRC-32 in the gzip trailer
	small := Limits{MaxEntries: 3, MaxTotal: 100, MaxFileSize: 60, MaxTrailing: 10}
	tests := []struct {
		name string
		data []byte
		lim  Limits
		want string
	}{
		{"html page", []byte("<!DOCTYPE html><html><body>captive portal</body></html>"), DefaultLimits(), "not a gzip archive"},
		{"empty body", nil, DefaultLimits(), "not a gzip archive"},
		{"plain tar", []byte("rules/a.rules\x00\x00\x00"), DefaultLimits(), "not a gzip archive"},
		{"truncated", good[:len(good)/2], DefaultLimits(), "truncated"},
		{"truncated trailer", good[:len(good)-4], DefaultLimits(), ""},
		{"corrupt", corrupt, DefaultLimits(), ""},
		{"bad crc", badCRC, DefaultLimits(), ""},
		{"absolute path", makeTarGz(t, []member{{name: "/etc/passwd", body: "x"}}), DefaultLimits(), "absolute path"},
		{"dot dot", makeTarGz(t, []member{{name: "rules/../../x.rules", body: "x"}}), DefaultLimits(), `".."`},
		{"symlink", makeTarGz(t, []member{{name: "rules/a.rules", typ: tar.TypeSymlink, linkname: "/etc/shadow"}}), DefaultLimits(), "links are not allowed"},
		{"hard link", makeTarGz(t, []member{{name: "rules/a.rules", typ: tar.TypeLink, linkname: "rules/b.rules"}}), DefaultLimits(), "links are not allowed"},
		{"char device", makeTarGz(t, []member{{name: "rules/null", typ: tar.TypeChar}}), DefaultLimits(), "device"},
		{"fifo", makeTarGz(t, []member{{name: "rules/p", typ: tar.TypeFifo}}), DefaultLimits(), "fifo"},
		{"too many entries", makeTarGz(t, []member{{name: "a", body: "1"}, {name: "b", body: "1"}, {name: "c", body: "1"}, {name: "d", body: "1"}}), small, "more than 3 entries"},
		{"file too big", makeTarGz(t, []member{{name: "a.rules", body: strings.Repeat("x", 61)}}), small, "exceeds the 60 byte cap"},
		{"total too big", makeTarGz(t, []member{{name: "a", body: strings.Repeat("x", 60)}, {name: "b", body: strings.Repeat("x", 41)}}), small, "unpacked size exceeds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tc.data), tc.lim, keepRules)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrRejected) {
				t.Errorf("error %v does not wrap ErrRejected", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

// TestBomb: a highly compressible member far beyond the cap is refused from
// its header, without inflating it.
func TestBomb(t *testing.T) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	const size = 64 << 20
	if err := tw.WriteHeader(&tar.Header{Name: "rules/bomb.rules", Typeflag: tar.TypeReg, Mode: 0o644, Size: size}); err != nil {
		t.Fatal(err)
	}
	zero := make([]byte, 1<<20)
	for i := 0; i < size/len(zero); i++ {
		tw.Write(zero)
	}
	tw.Close()
	zw.Close()
	lim := DefaultLimits()
	lim.MaxFileSize = 16 << 20
	_, err := Read(bytes.NewReader(buf.Bytes()), lim, keepRules)
	if err == nil || !strings.Contains(err.Error(), "cap") {
		t.Fatalf("bomb (%d bytes compressed) not refused: %v", buf.Len(), err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(makeTarGz(f, []member{{name: "rules/a.rules", body: "alert ip any any -> any any (sid:1;)\n"}}))
	f.Add(makeTarGz(f, []member{{name: "../x", body: "x"}}))
	f.Add(makeTarGz(f, []member{{name: "l", typ: tar.TypeSymlink, linkname: "/"}}))
	f.Add([]byte("<html>"))
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	lim := Limits{MaxEntries: 50, MaxTotal: 1 << 20, MaxFileSize: 1 << 20, MaxTrailing: 1 << 10}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Read(bytes.NewReader(data), lim, func(string) bool { return true })
		if err != nil {
			if !errors.Is(err, ErrRejected) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		var total int64
		for _, f := range a.Files {
			if strings.HasPrefix(f.Name, "/") || strings.Contains("/"+f.Name+"/", "/../") {
				t.Fatalf("unsafe name kept: %q", f.Name)
			}
			total += int64(len(f.Data))
		}
		if total > lim.MaxTotal || a.Entries > lim.MaxEntries {
			t.Fatalf("limits exceeded: %d bytes, %d entries", total, a.Entries)
		}
	})
}
