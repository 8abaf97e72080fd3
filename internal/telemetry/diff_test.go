package telemetry

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/suricron/suricron/internal/homenet"
	"github.com/suricron/suricron/internal/sharedtest"
)

// sameAsOracle fails unless the one-pass Encoder and the old encoder
// (oracle_test.go) agree on line: the same bytes appended after the same
// prefix, or the same rejection with dst untouched.
func sameAsOracle(t testing.TB, local Locality, line []byte) {
	t.Helper()
	enc := Encoder{Local: local}
	old := oracleEncoder{enc: enc}
	prefix := []byte("prefix")
	got, err := enc.Append(append([]byte(nil), prefix...), line)
	want, werr := old.Append(append([]byte(nil), prefix...), line)
	if (err == nil) != (werr == nil) {
		t.Fatalf("rejection differs on %q:\n new: %v\n old: %v (json.Valid %v)", line, err, werr, json.Valid(line))
	}
	if err != nil {
		if !errors.Is(err, ErrInvalid) || err.Error() != werr.Error() {
			t.Fatalf("error differs on %q: new %q, old %q", line, err, werr)
		}
		if string(got) != string(prefix) {
			t.Fatalf("rejected %q but dst changed to %q", line, got)
		}
		return
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("output differs on %q:\n new: %s\n old: %s", line, got, want)
	}
}

// diffLocals are the local sets the differential tests run under: the
// unit tests' sensor, one that holds nothing a sample uses, and one that
// holds everything (every server local, every name dropped).
func diffLocals(t testing.TB) []Locality {
	t.Helper()
	none, err := homenet.NewSet(homenet.Options{HomeNet: "[198.18.0.0/15]"})
	if err != nil {
		t.Fatal(err)
	}
	all, err := homenet.NewSet(homenet.Options{HomeNet: "[0.0.0.0/0,::/0]"})
	if err != nil {
		t.Fatal(err)
	}
	return []Locality{testLocal(t), none, all}
}

// TestEncodeMatchesOracleOnRealEve runs every line of every real eve
// sample (alerts or not, the broken fever sample included) through both
// encoders, and near-miss copies of each line: cut short, or with one byte
// replaced by a structural one, which the old path's json.Valid rejects or
// accepts exactly as the scanner must.
func TestEncodeMatchesOracleOnRealEve(t *testing.T) {
	dir := filepath.Join(sharedtest.Dir(t), "eve")
	locals := diffLocals(t)
	r := rand.New(rand.NewPCG(17, 17))
	structural := []byte(`{}[]",:\ 0-e.tfn` + "\x00\x1f\xff")
	files, lines := 0, 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		if !strings.HasSuffix(name, ".json") && !strings.HasSuffix(name, ".ndjson") && !strings.HasSuffix(name, ".json.bz2") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		var rd io.Reader = f
		big := strings.HasSuffix(name, ".bz2")
		if big {
			rd = bzip2.NewReader(f)
		}
		sc := bufio.NewScanner(rd)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		files++
		for sc.Scan() {
			line := sc.Bytes()
			lines++
			if big {
				// 40 k lines of 3 KB: one local set, no mutations, keeps it quick.
				sameAsOracle(t, locals[0], line)
				continue
			}
			for _, l := range locals {
				sameAsOracle(t, l, line)
			}
			if len(line) < 2 {
				continue
			}
			mut := append([]byte(nil), line...)
			sameAsOracle(t, locals[0], mut[:len(mut)/2])
			sameAsOracle(t, locals[0], mut[:len(mut)-1])
			for k := 0; k < 4; k++ {
				copy(mut, line)
				mut[r.IntN(len(mut))] = structural[r.IntN(len(structural))]
				sameAsOracle(t, locals[0], mut)
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 5 || lines < 1000 {
		t.Fatalf("read only %d files, %d lines under %s", files, lines, dir)
	}
	t.Logf("%d files, %d lines agree", files, lines)
}

// TestEncodeMatchesOracleEdgeCases covers the grammar corners where a
// hand-written scanner and json.Valid part ways, and the walk's own
// corners (repeated, escaped and misplaced keys).
func TestEncodeMatchesOracleEdgeCases(t *testing.T) {
	deep := func(n int, open, close string) string {
		return `{"alert":` + strings.Repeat(open, n-1) + strings.Repeat(close, n-1) + `,"src_ip":"10.0.0.1"}`
	}
	cases := []string{
		// valid
		`{}`, ` {} `, "\t\r\n{\"src_ip\":\"10.0.0.1\"}\n", `{"a":[]}`, `{"a":{}}`, `{"a":[{},[],"",0,-0,0.5,1e5,1E+5,-1.5e-3,true,false,null]}`,
		`{"vlan":[]}`, `{"vlan":[ 1 , 2 ]}`, `{"vlan":[1,[2]]}`, `{"vlan":[-1,1.5,1e3]}`, `{"vlan":{}}`,
		`{"src\u005fip":"10.0.0.1","direction":"to_server"}`, `{"\u0064irection":"to_client","src_ip":"10.0.0.1","dest_ip":"8.8.8.8","tls":{"sni":"x.lan"}}`,
		`{"dest_ip":"8.8.8.8","dest_ip":"10.0.0.1","http":{"hostname":"a.lan"}}`, `{"dest_ip":1,"dest_ip":"8.8.8.8","http":{"hostname":"a.lan"}}`,
		`{"direction":1,"direction":"to_client","src_ip":"8.8.8.8","dest_ip":"10.0.0.1","http":{"hostname":"a.lan"}}`,
		`{"alert":{"src_ip":"8.8.8.8"},"dest_ip":"8.8.8.8","http":{"hostname":"a.lan"}}`,
		`{"x":{"direction":"to_client"},"src_ip":"8.8.8.8","dest_ip":"10.0.0.1","tls":{"subject":"CN=a"}}`,
		`{"x":["direction","to_client"],"src_ip":"8.8.8.8","dest_ip":"10.0.0.1","tls":{"subject":"CN=a"}}`,
		`{"in_iface":"\ud800","proto":"\udc00x","app_proto":"\ud83d\ude00","event_type":"\ud800\u0041","tls":{"version":"\ud800\ud800"}}`,
		"{\"in_iface\":\"a\xffb\",\"proto\":\"\xe2\x80\xa8\",\"app_proto\":\"é\"}",
		`{"in_iface":"a\/b\"c\\d\b\f\n\r\t\u0000\u001f"}`, `{"alert":{"action":"x"},"alert":{"action":"y"}}`, `{"alert":1,"alert":{"action":"y"}}`,
		`{"http":{"status":200,"status":"x"},"tls":{"ja3":{"hash":"h"},"ja3s":{}}}`,
		`{"timestamp":"2024-05-08T18:32:48.472418+0200"}`, `{"timestamp":"2024-05-08T18:32:48.472418"}`, `{"timestamp":"10.0.0.1"}`,
		deep(maxDepth, "[", "]"), deep(maxDepth, `{"a":`, "}"),
		// invalid
		``, ` `, `[]`, `"x"`, `1`, `null`, `{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`, `{"a":1 "b":2}`, `{"a" 1}`, `{'a':1}`, `{a:1}`,
		`{"a":01}`, `{"a":-}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":1e+}`, `{"a":+1}`, `{"a":0x1}`, `{"a":NaN}`, `{"a":tru}`, `{"a":nul}`, `{"a":truex}`,
		`{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12g4"}`, "{\"a\":\"\x01\"}", "{\"a\":\"\t\"}", `{"a":"x}`, `{"a":[1,]}`, `{"a":[,1]}`, `{"a":[1 2]}`, `{"a":[}`, `{"a":{]}`,
		`{"a":1}}`, `{"a":1}x`, `{"a":1} {}`, `{"src_ip":"1.1.1.1"} trailing`, "\xef\xbb\xbf{}", "{\"a\":1}\x00", `{"vlan":[1,}`, `{"vlan":[1 2]}`, `{"src_ip":"10.0.0.1`,
		`{"direction":"to_client",`, `{"alert":{"action":"x",}}`, `{"alert":{"source":{"ip":"10.0.0.1"}`, `{"alert":{"x":[1,{"y":]}}}`,
		deep(maxDepth+1, "[", "]"), deep(maxDepth+1, `{"a":`, "}"),
	}
	for _, l := range diffLocals(t) {
		for _, c := range cases {
			sameAsOracle(t, l, []byte(c))
		}
	}
}

// FuzzEncodeDiff holds the one-pass Encoder to the old encoder on any
// input: same bytes, same rejections.
func FuzzEncodeDiff(f *testing.F) {
	f.Add([]byte(`{"src_ip":"10.0.0.1","dest_ip":"8.8.8.8","alert":{"signature_id":1,"source":{"ip":"fe80::1"}},"http":{"http_refer":"http://[::1]:80/x","xff":"10.0.0.1"}}`))
	f.Add([]byte(`{"tls":{"subject":"CN=192.168.0.1","sni":"\u0000"},"vlan":[1],"direction":"to_client"}`))
	f.Add([]byte(`{"flow_id":1e400,"x":[{"y":[true,false,null,"\ud800"]}]}`))
	f.Add([]byte(`{"src\u005fip":"10.0.0.1","vlan":[ 1 ,2 ],"in_iface":"a\u00e9.b"}`))
	f.Add([]byte(benchLines(1)[0]))
	local, err := homenet.NewSet(homenet.Options{HomeNet: "[10.0.0.0/8,198.18.0.0/15]",
		Interfaces: []netip.Prefix{netip.MustParsePrefix("fe80::/10")}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		sameAsOracle(t, local, in)
	})
}

// FuzzReferParts: wherever the hand split of a referer answers, url.Parse
// gives the same scheme, host and port.
func FuzzReferParts(f *testing.F) {
	for _, s := range []string{"https://www.example.com/x?y", "HTTP://Host_1.lan:8080", "http://a:/b", "http://a:1:2/", "http://[::1]:80/x",
		"http://u@h/", "http:///x", "http://h#f%zz", "http://h/%zz", "ht+tp://h?q#f", "1http://h", "http://h\x7f", "http://h.:65536/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		scheme, host, port, ok := referFast(s)
		if !ok {
			return
		}
		u, err := url.Parse(s)
		if err != nil {
			t.Fatalf("referFast(%q) split it, url.Parse rejects it: %v", s, err)
		}
		if u.Scheme != scheme || u.Hostname() != host || u.Port() != port || u.Host == "" {
			t.Fatalf("referFast(%q) = %q %q %q, url.Parse = %q %q %q (host %q)", s, scheme, host, port, u.Scheme, u.Hostname(), u.Port(), u.Host)
		}
	})
}

// FuzzAddrEnds: addrEnds never rules out a substring that netip.ParseAddr
// accepts, so skipping the others cannot change what scrubText masks.
func FuzzAddrEnds(f *testing.F) {
	for _, s := range []string{"8a:9c:1f:00:de:ad:be:ef:01:23:45:67:89:ab:cd:ef:10:32:54:76", "::ffff:10.1.2.3", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4",
		"::", "a::", "::1.2.3.4.5", "fe80::1:2:3:4:5:6:7", "1::2:3:4:5:6:7:8", ":1::2", "1.2.3.4", "001.002.003.004", "12345::1", "1:::2"} {
		f.Add(s)
	}
	const alphabet = "0123456789abcdefABCDEF:."
	f.Fuzz(func(t *testing.T, in string) {
		// v6Spans only hands addrEnds runs of hex digits, colons and dots.
		b := []byte(in)
		for i, c := range b {
			if strings.IndexByte(alphabet, c) < 0 {
				b[i] = alphabet[int(c)%len(alphabet)]
			}
		}
		run := string(b)
		for st := 0; st < len(run); st++ {
			bits := addrEnds(run, st)
			for end := st + 2; end <= len(run) && end <= st+45; end++ {
				if _, err := netip.ParseAddr(run[st:end]); err == nil && bits&(1<<uint(end-st)) == 0 {
					t.Fatalf("addrEnds(%q, %d) rules out %q, which parses", run, st, run[st:end])
				}
			}
		}
	})
}

// FuzzParseAddrText: the character check in front of netip.ParseAddr
// turns away only texts ParseAddr rejects too.
func FuzzParseAddrText(f *testing.F) {
	for _, s := range []string{"10.0.0.1", " [fe80::1%eth0] ", "fe80::1%zone with spaces", "::ffff:1.2.3.4", "www.example.com", "1.2.3.4x", "[]", "%", "FE80::A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := strings.TrimSpace(s)
		if len(want) > 2 && want[0] == '[' && want[len(want)-1] == ']' {
			want = want[1 : len(want)-1]
		}
		wa, werr := netip.ParseAddr(want)
		a, ok := parseAddrText(s)
		if ok != (werr == nil) || ok && a != wa.WithZone("") {
			t.Fatalf("parseAddrText(%q) = %v, %v; netip.ParseAddr: %v, %v", s, a, ok, wa, werr)
		}
	})
}
