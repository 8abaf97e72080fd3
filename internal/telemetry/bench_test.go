package telemetry

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"testing"

	"github.com/suricron/suricron/internal/homenet"
	"github.com/suricron/suricron/internal/sharedtest"
)

// benchLines are realistic alerts (the shape bench/telemetry uses): local
// and external peers, http, and the flow/metadata objects the allow-list
// drops.
func benchLines(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, `{"timestamp":"2024-05-08T18:%02d:%02d.%06d+0200","flow_id":%d,"in_iface":"igb0","event_type":"alert","src_ip":"192.168.%d.%d","src_port":%d,"dest_ip":"93.184.%d.%d","dest_port":443,"proto":"TCP","pkt_src":"wire/pcap","tx_id":0,"alert":{"action":"allowed","gid":1,"signature_id":%d,"rev":3,"signature":"ET POLICY something observed","category":"Potential Corporate Privacy Violation","severity":2,"metadata":{"created_at":["2020_01_01"],"updated_at":["2024_01_01"]}},"http":{"hostname":"example.com","url":"/a/b?c=d","http_user_agent":"Mozilla/5.0","http_refer":"https://www.example.com/x?y","http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":%d},"app_proto":"http","direction":"to_server","flow":{"pkts_toserver":5,"pkts_toclient":4,"bytes_toserver":600,"bytes_toclient":3000,"start":"2024-05-08T18:00:00.000000+0200","src_ip":"192.168.1.2","dest_ip":"93.184.216.34"}}`,
			i/60%60, i%60, i, 1<<50+i, i%250, i%253+1, 30000+i%30000, i%250, i%253+1, 2000000+i%1000, i%9000)
	}
	return out
}

// BenchmarkEncode is mask + serialise of one alert (issue 17 target:
// ≥ 300k events/s on one core: go test -bench Encode -cpu 1).
func BenchmarkEncode(b *testing.B) {
	local, err := homenet.NewSet(homenet.Options{HomeNet: "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]",
		Interfaces: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}})
	if err != nil {
		b.Fatal(err)
	}
	lines := benchLines(4096)
	enc := Encoder{Local: local}
	var dst []byte
	var n int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l := lines[i%len(lines)]
		dst, err = enc.Append(dst[:0], l)
		if err != nil {
			b.Fatal(err)
		}
		n += int64(len(l))
	}
	b.SetBytes(n / int64(max(b.N, 1)))
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkEncodeReal is mask + serialise of the alerts of a real sensor
// log (josevnz eve-2.json), as telemetry-send selects them.
func BenchmarkEncodeReal(b *testing.B) {
	local, err := homenet.NewSet(homenet.Options{HomeNet: "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"})
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(sharedtest.Path(b, "eve", "josevnz", "eve-2.json"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sel := Selector{All: true}
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if sel.Select(sc.Bytes()) {
			lines = append(lines, append([]byte(nil), sc.Bytes()...))
		}
	}
	if err := sc.Err(); err != nil || len(lines) == 0 {
		b.Fatalf("read sample: %v (%d alerts)", err, len(lines))
	}
	enc := Encoder{Local: local}
	var dst []byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if dst, err = enc.Append(dst[:0], lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkEncodeOracle is the encoder before issue 17 (oracle_test.go) on
// the same lines, for the ratio in one run: go test -bench 'Encode$|EncodeOracle' -cpu 1.
func BenchmarkEncodeOracle(b *testing.B) {
	local, err := homenet.NewSet(homenet.Options{HomeNet: "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]",
		Interfaces: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}})
	if err != nil {
		b.Fatal(err)
	}
	lines := benchLines(4096)
	old := oracleEncoder{enc: Encoder{Local: local}}
	var dst []byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if dst, err = old.Append(dst[:0], lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
