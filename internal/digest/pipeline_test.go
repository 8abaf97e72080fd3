package digest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/suricron/suricron/internal/checkpoint"
	"github.com/suricron/suricron/internal/eve"
)

// serialAlerts is the reference the pipeline must equal: one loop over the
// lines in file order, as the digest read them before it used both cores,
// folding each kept alert into its signature's shard.
func serialAlerts(t *testing.T, sess *checkpoint.Session, f *filter) (*aggregator, counts) {
	t.Helper()
	p := &pipeline{}
	for s := range shards {
		p.ags[s] = newShardAggregator(shards)
	}
	var c counts
	var a eve.AlertFields
	bad := func(end checkpoint.Position, err error) {
		c.bad++
		if c.firstBad == "" {
			c.firstBad = fmt.Sprintf("%s: %v", checkpoint.FormatPos(end), err)
		}
	}
	err := sess.Lines(context.Background(), func(line []byte, end checkpoint.Position) error {
		typ, err := eve.EventType(line)
		if err != nil {
			bad(end, err)
			return nil
		}
		if string(typ) != "alert" {
			return nil
		}
		if err := eve.ParseAlertFields(line, &a); err != nil {
			bad(end, err)
			return nil
		} else if !a.HasAlert || a.SignatureID == 0 {
			bad(end, errNoSID)
			return nil
		}
		if why := f.verdict(&a); why != kept {
			c.excluded[why]++
			return nil
		}
		p.ags[shardOf(alertKey(&a))].add(&a)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p.merged(), c
}

// randomEve writes a file of random alerts (few or many signatures,
// sources and destinations, so that the bounded counters overflow in some
// files), other events, unreadable lines and, sometimes, a last line
// without its newline.
func randomEve(t *testing.T, r *rand.Rand, path string) {
	t.Helper()
	var b bytes.Buffer
	n := r.IntN(3000)
	sigs, srcs, dsts := 1+r.IntN(60), 1+r.IntN(5000), 1+r.IntN(300)
	for i := 0; i < n; i++ {
		switch r.IntN(20) {
		case 0:
			b.WriteString(`{"timestamp":"2025-06-01T12:00:00.000000+0000","event_type":"flow","flow":{}}` + "\n")
			continue
		case 1:
			b.WriteString("not json\n")
			continue
		case 2:
			b.WriteString(`{"event_type":"alert","alert":{"signature_id":"x"}}` + "\n")
			continue
		}
		sid := int64(1 + r.IntN(sigs))
		ts := fmt.Sprintf("2025-06-01T12:%02d:%02d.%06d+0000", r.IntN(60), r.IntN(60), r.IntN(3)) // many equal times
		ctx := ""
		switch r.IntN(4) {
		case 0:
			ctx = fmt.Sprintf(`,"app_proto":"http","http":{"hostname":"h%d.example","url":"/%d"}`, r.IntN(100), r.IntN(3))
		case 1:
			ctx = fmt.Sprintf(`,"app_proto":"tls","tls":{"sni":"s%d.example"}`, r.IntN(90))
		}
		src := fmt.Sprintf("10.%d.%d.%d", r.IntN(srcs)/65536%256, r.IntN(srcs)/256%256, r.IntN(srcs)%256)
		if r.IntN(10) == 0 {
			src = fmt.Sprintf("2001:db8::%x", r.IntN(srcs))
		}
		fmt.Fprintf(&b, `{"timestamp":"%s","flow_id":%d,"event_type":"alert","src_ip":"%s","src_port":%d,"dest_ip":"192.0.2.%d","dest_port":%d,"proto":"TCP"%s,"alert":{"action":"%s","gid":1,"signature_id":%d,"rev":%d,"signature":"SIG %d v%d","category":"c%d","severity":%d}}`+"\n",
			ts, r.Uint64()>>12, src, 1024+r.IntN(60000), r.IntN(dsts)%256, []int{22, 80, 443, 8080, 3389, 25, 53, 21}[r.IntN(8)], ctx,
			[]string{"allowed", "blocked", ""}[r.IntN(3)], sid, r.IntN(3), sid, r.IntN(2), r.IntN(4), r.IntN(5))
	}
	data := b.Bytes()
	if len(data) > 0 && r.IntN(2) == 0 {
		data = data[:len(data)-1-r.IntN(min(len(data)-1, 40))] // end inside the last line
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readOnlySession(t *testing.T, e *env) *checkpoint.Session {
	t.Helper()
	sess, err := checkpoint.Open(context.Background(), checkpoint.Config{Consumer: Consumer, Live: e.eve, StateDir: e.state,
		Start: checkpoint.StartBeginning, ReadOnly: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	return sess
}

// Issue 17: the parallel pipeline gives the same digest as the serial loop
// for random files, batch sizes (down to one line) and worker counts: the
// rendered JSON document, the counts of bad and excluded lines, the first
// bad line named, and the checkpoint end position.
func TestPipelineMatchesSerial(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 16))
	for i := range 40 {
		e := newEnv(t)
		randomEve(t, r, e.eve)
		cfg := e.config()
		cfg.DryRun, cfg.MaxGroups = true, 1+r.IntN(30)
		if r.IntN(3) == 0 {
			cfg.MinSeverity = 2
		}
		set, err := cfg.compile(testNow, testHost, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		doc := func(ag *aggregator) string {
			d := buildDocument(ag, set, testHost, "b", &knownSigs{set: map[sigKey]bool{}, baseline: true}, nil, nil)
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		s1 := readOnlySession(t, e)
		wantAg, wantC := serialAlerts(t, s1, set.filter)
		want := doc(wantAg)

		s2 := readOnlySession(t, e)
		workers := 1 + r.IntN(4)
		p := newPipeline(set.filter, workers, 1+r.IntN(64<<10), 1+r.IntN(300))
		if err := s2.Lines(context.Background(), func(line []byte, end checkpoint.Position) error {
			p.line(line, end)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		p.finish()
		if got := doc(p.merged()); got != want {
			t.Fatalf("file %d, %d workers: pipeline document differs from serial\n got %.2000s\nwant %.2000s", i, workers, got, want)
		}
		if p.counts != wantC {
			t.Fatalf("file %d: counts %+v, serial %+v", i, p.counts, wantC)
		}
		if checkpoint.FormatPos(s1.End()) != checkpoint.FormatPos(s2.End()) {
			t.Fatalf("file %d: end %s, serial %s", i, checkpoint.FormatPos(s2.End()), checkpoint.FormatPos(s1.End()))
		}
	}
}
