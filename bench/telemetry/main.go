// Command telemetry-bench measures telemetry-send: events masked and
// serialised per second on one core beside encoding/json decoding and
// re-encoding the same lines (-mode mask), and end-to-end upload throughput
// to a loopback HTTPS server with both protocols, beside the OPNsense
// plugin's way (one POST per event, a new TLS connection each, serial)
// measured the same way (-mode upload).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"runtime/pprof"
	"sync/atomic"
	"time"

	"github.com/suricron/suricron/internal/homenet"
	"github.com/suricron/suricron/internal/sleep"
	"github.com/suricron/suricron/internal/telemetry"
)

func main() {
	n := flag.Int("events", 20000, "events for the masking and upload runs")
	nBase := flag.Int("baseline-events", 2000, "events for the plugin-style baseline (it is slow)")
	mode := flag.String("mode", "all", "mask (mask+serialise beside encoding/json), upload, or all")
	runs := flag.Int("runs", 3, "interleaved runs of each side in -mode mask")
	minTime := flag.Duration("min-time", time.Second, "least wall time of one measurement in -mode mask")
	evePath := flag.String("eve", "", "also measure -mode mask on the alerts of this real eve.json")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "telemetry-bench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "telemetry-bench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	var err error
	switch *mode {
	case "mask":
		err = runMask(*n, *runs, *minTime, *evePath)
	case "upload":
		err = run(*n, *nBase)
	case "all":
		if err = runMask(*n, *runs, *minTime, *evePath); err == nil {
			err = run(*n, *nBase)
		}
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "telemetry-bench:", err)
		os.Exit(1)
	}
}

// synth makes realistic alert lines: local and external peers, http/tls,
// flow and metadata objects that the allow-list drops.
func synth(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, `{"timestamp":"2024-05-08T18:%02d:%02d.%06d+0200","flow_id":%d,"in_iface":"igb0","event_type":"alert","src_ip":"192.168.%d.%d","src_port":%d,"dest_ip":"93.184.%d.%d","dest_port":443,"proto":"TCP","pkt_src":"wire/pcap","tx_id":0,"alert":{"action":"allowed","gid":1,"signature_id":%d,"rev":3,"signature":"ET POLICY something observed","category":"Potential Corporate Privacy Violation","severity":2,"metadata":{"created_at":["2020_01_01"],"updated_at":["2024_01_01"]}},"http":{"hostname":"example.com","url":"/a/b?c=d","http_user_agent":"Mozilla/5.0","http_refer":"https://www.example.com/x?y","http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":%d},"app_proto":"http","direction":"to_server","flow":{"pkts_toserver":5,"pkts_toclient":4,"bytes_toserver":600,"bytes_toclient":3000,"start":"2024-05-08T18:00:00.000000+0200","src_ip":"192.168.1.2","dest_ip":"93.184.216.34"}}`,
			i/60%60, i%60, i, 1<<50+i, i%250, i%253+1, 30000+i%30000, i%250, i%253+1, 2000000+i%1000, i%9000)
	}
	return out
}

func run(n, nBase int) error {
	local, err := homenet.NewSet(homenet.Options{HomeNet: "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]",
		Interfaces: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}})
	if err != nil {
		return err
	}
	lines := synth(n)
	enc := telemetry.Encoder{Local: local}
	sel := telemetry.Selector{All: true}

	// Masking + serialisation.
	var inBytes int64
	bodies := make([][]byte, 0, n)
	start := time.Now()
	rounds := 0
	for time.Since(start) < 2*time.Second || rounds == 0 {
		bodies = bodies[:0]
		for _, l := range lines {
			if !sel.Select(l) {
				continue
			}
			b, err := enc.Append(nil, l)
			if err != nil {
				return err
			}
			bodies = append(bodies, b)
			inBytes += int64(len(l))
		}
		rounds++
	}
	el := time.Since(start)
	fmt.Printf("select + mask + serialise into new bodies (the upload runs' input, all cores): %.0f events/s (%.1f MB/s of eve input, %d events x %d rounds)\n",
		float64(n*rounds)/el.Seconds(), float64(inBytes)/el.Seconds()/1e6, n, rounds)

	var got atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Path == telemetry.PathEvent {
			got.Add(1)
			w.WriteHeader(http.StatusCreated)
			return
		}
		got.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	tlsCfg := srv.Client().Transport.(*http.Transport).TLSClientConfig

	// Baseline: the plugin before PR #5553 and requests without a session:
	// serial, one POST per event, a fresh TLS connection each time.
	base := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg.Clone(), DisableKeepAlives: true}}
	nb := min(nBase, len(bodies))
	start = time.Now()
	for _, b := range bodies[:nb] {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+telemetry.PathEvent, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer x")
		resp, err := base.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("baseline: HTTP %d", resp.StatusCode)
		}
	}
	baseRate := float64(nb) / time.Since(start).Seconds()
	fmt.Printf("baseline (plugin: 1 POST/event, no keep-alive, serial): %.0f events/s (%d events)\n", baseRate, nb)

	mk := func(proto, compress string) *telemetry.Uploader {
		c := telemetry.NewHTTPClient(10*time.Second, 4)
		c.Transport.(*http.Transport).TLSClientConfig = tlsCfg.Clone()
		ep := srv.URL
		if proto == telemetry.ProtoNDJSON {
			ep += "/ingest"
		}
		return &telemetry.Uploader{Client: c, Endpoint: ep, Token: "x", Protocol: proto, Compress: compress, Concurrency: 4,
			Retry: telemetry.Retry{Attempts: 3, Base: 10 * time.Millisecond, Max: time.Second},
			Sleep: sleep.For, Log: slog.New(slog.DiscardHandler)}
	}
	ctx := context.Background()

	up := mk(telemetry.ProtoETPro, "")
	start = time.Now()
	for i := 0; i < len(bodies); i += 100 {
		if _, err := up.SendEvents(ctx, bodies[i:min(i+100, len(bodies))]); err != nil {
			return err
		}
	}
	etRate := float64(len(bodies)) / time.Since(start).Seconds()
	fmt.Printf("suricron etpro (1 POST/event, keep-alive, 4 parallel): %.0f events/s  ratio %.1fx\n", etRate, etRate/baseRate)

	for _, comp := range []string{"gzip", "zstd"} {
		up := mk(telemetry.ProtoNDJSON, comp)
		start = time.Now()
		var raw int64
		for i := 0; i < len(bodies); i += 500 {
			var buf bytes.Buffer
			for _, b := range bodies[i:min(i+500, len(bodies))] {
				buf.Write(b)
				buf.WriteByte('\n')
			}
			raw += int64(buf.Len())
			if _, err := up.SendBatch(ctx, buf.Bytes(), fmt.Sprint(i), min(500, len(bodies)-i)); err != nil {
				return err
			}
		}
		r := float64(len(bodies)) / time.Since(start).Seconds()
		fmt.Printf("suricron ndjson %s (batches of 500): %.0f events/s (%.1f MB/s uncompressed)  ratio %.1fx\n",
			comp, r, float64(raw)/time.Since(start).Seconds()/1e6, r/baseRate)
	}
	return nil
}
