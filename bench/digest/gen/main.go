// Command gen writes a deterministic eve.json with a given number of alert
// events (and some flow events between them) for the alert-digest
// benchmark. Sources, destinations and signatures follow skewed
// distributions, so the alerts fall into tens of thousands of groups as a
// busy sensor's backlog would.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"time"
)

func main() {
	n := flag.Int("n", 1_000_000, "number of alert events")
	flowsPer := flag.Int("flows", 1, "flow events written after each alert")
	out := flag.String("o", "", "output file (default stdout)")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := write(*out, *n, *flowsPer, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func write(path string, n, flowsPer int, seed uint64) error {
	f := os.Stdout
	if path != "" {
		var err error
		if f, err = os.Create(path); err != nil {
			return err
		}
		defer f.Close()
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	zsig := rand.NewZipf(r, 1.2, 1, 299)
	zsrc := rand.NewZipf(r, 1.1, 1, 19999)
	zdst := rand.NewZipf(r, 1.3, 1, 499)
	zone := time.FixedZone("", -5*3600)
	t := time.Date(2025, 6, 1, 0, 0, 0, 0, zone)
	cats := []string{"Attempted Information Leak", "Misc activity", "A Network Trojan was detected", "Potentially Bad Traffic", "Misc Attack"}
	ports := []int{22, 23, 80, 443, 445, 1433, 3306, 3389, 5060, 8080}
	var b []byte
	for i := 0; i < n; i++ {
		t = t.Add(time.Duration(r.IntN(20_000)) * time.Microsecond)
		sid := 2_000_000 + int(zsig.Uint64())
		src := int(zsrc.Uint64())
		dst := int(zdst.Uint64())
		ts := t.Format("2006-01-02T15:04:05.000000-0700")
		flow := uint64(r.Int64N(1 << 51))
		b = b[:0]
		b = append(b, `{"timestamp":"`...)
		b = append(b, ts...)
		b = append(b, `","flow_id":`...)
		b = strconv.AppendUint(b, flow, 10)
		b = append(b, `,"in_iface":"eth0","event_type":"alert","src_ip":"`...)
		b = fmt.Appendf(b, "198.51.%d.%d", src/250, src%250+1)
		b = append(b, `","src_port":`...)
		b = strconv.AppendInt(b, int64(1024+r.IntN(60000)), 10)
		b = append(b, `,"dest_ip":"`...)
		b = fmt.Appendf(b, "10.20.%d.%d", dst/250, dst%250+1)
		b = append(b, `","dest_port":`...)
		b = strconv.AppendInt(b, int64(ports[(sid+r.IntN(2))%len(ports)]), 10)
		b = append(b, `,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":`...)
		b = strconv.AppendInt(b, int64(sid), 10)
		b = append(b, `,"rev":3,"signature":"ET BENCH synthetic signature `...)
		b = strconv.AppendInt(b, int64(sid), 10)
		b = append(b, `","category":"`...)
		b = append(b, cats[sid%len(cats)]...)
		b = append(b, `","severity":`...)
		b = strconv.AppendInt(b, int64(1+sid%3), 10)
		b = append(b, `},"flow":{"pkts_toserver":3,"pkts_toclient":2,"bytes_toserver":320,"bytes_toclient":180,"start":"`...)
		b = append(b, ts...)
		b = append(b, "\"}}\n"...)
		for j := 0; j < flowsPer; j++ {
			b = append(b, `{"timestamp":"`...)
			b = append(b, ts...)
			b = append(b, `","flow_id":`...)
			b = strconv.AppendUint(b, flow+1, 10)
			b = append(b, `,"in_iface":"eth0","event_type":"flow","src_ip":"10.20.0.9","src_port":53211,"dest_ip":"192.0.2.53","dest_port":53,"proto":"UDP","app_proto":"dns","flow":{"pkts_toserver":1,"pkts_toclient":1,"bytes_toserver":74,"bytes_toclient":90,"start":"`...)
			b = append(b, ts...)
			b = append(b, `","end":"`...)
			b = append(b, ts...)
			b = append(b, "\",\"age\":0,\"state\":\"established\",\"reason\":\"timeout\",\"alerted\":false}}\n"...)
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return w.Flush()
}
