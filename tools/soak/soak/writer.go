package soak

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Signature of every soak alert; the sid names the record. The digest
// shows one section per signature and names every other signature with its
// count, so a mail names each alert it carries by its sid (issue 16 ended
// the one-row-per-source table that the source address was read from).
const (
	soakSIDBase   = 2900000
	soakSignature = "SURICRON soak alert"
)

// SID is the signature id that names record n (SID(0) names none).
func SID(n int) int { return soakSIDBase + n }

// AlertLine is soak alert n as Suricata would write it. n is encoded three
// times: in flow_id (telemetry keeps it unmasked), in the sid (the digest
// names every signature) and in src_ip 10.a.b.c, so every receiver can name
// the record.
func AlertLine(n int, ts time.Time) string {
	return fmt.Sprintf(`{"timestamp":"%s","flow_id":%d,"in_iface":"soak0","event_type":"alert","src_ip":"%s","src_port":%d,"dest_ip":"192.0.2.7","dest_port":443,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":%d,"rev":1,"signature":"%s","category":"Misc activity","severity":2}}`+"\n",
		ts.UTC().Format("2006-01-02T15:04:05.000000+0000"), n, SrcIP(n), 1024+n%60000, SID(n), soakSignature)
}

// SrcIP is the source address that names record n (n < 2^24).
func SrcIP(n int) string { return fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255) }

func flowLine(n int, ts time.Time) string {
	return fmt.Sprintf(`{"timestamp":"%s","flow_id":%d,"event_type":"flow","src_ip":"10.200.0.1","src_port":5353,"dest_ip":"10.200.0.2","dest_port":5353,"proto":"UDP","flow":{"pkts_toserver":1,"pkts_toclient":0,"bytes_toserver":90,"bytes_toclient":0,"start":"%[1]s","end":"%[1]s","age":0,"state":"new","reason":"timeout","alerted":false}}`+"\n",
		ts.UTC().Format("2006-01-02T15:04:05.000000+0000"), 1<<40+n)
}

// writer imitates Suricata's eve output: O_APPEND writes, a reopen when
// postrotate "HUPs" it (creates the marker; the writer removes it once it
// has reopened, which postrotate waits for, as Suricata has reopened before
// gzip reads the renamed file), and every 7th alert split over two write()
// calls so that rotations and reads meet torn lines.
type writer struct {
	live, marker string
	rate         int

	n     atomic.Int64 // alerts completely written
	stop  chan struct{}
	done  sync.WaitGroup
	errMu sync.Mutex
	err   error
}

func startWriter(live, marker string, rate int) (*writer, error) {
	w := &writer{live: live, marker: marker, rate: rate, stop: make(chan struct{})}
	f, err := w.open()
	if err != nil {
		return nil, err
	}
	w.done.Add(1)
	go w.loop(f)
	return w, nil
}

func (w *writer) open() (*os.File, error) {
	return os.OpenFile(w.live, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
}

func (w *writer) fail(err error) {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

// Err is the first write error, if any.
func (w *writer) Err() error {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	return w.err
}

func (w *writer) loop(f *os.File) {
	defer w.done.Done()
	defer func() { f.Close() }()
	const tick = 10 * time.Millisecond
	per := max(1, w.rate/100)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		if _, err := os.Stat(w.marker); err == nil {
			f.Close()
			nf, err := w.open()
			if err != nil {
				w.fail(err)
				return
			}
			f = nf
			os.Remove(w.marker)
		}
		for i := 0; i < per; i++ {
			n := int(w.n.Load()) + 1
			now := time.Now()
			rec := AlertLine(n, now)
			var err error
			if n%7 == 0 {
				if _, err = f.WriteString(rec[:len(rec)/2]); err == nil {
					time.Sleep(100 * time.Microsecond)
					_, err = f.WriteString(rec[len(rec)/2:])
				}
			} else {
				_, err = f.WriteString(rec)
			}
			if err == nil && n%5 == 0 {
				_, err = f.WriteString(flowLine(n, now))
			}
			if err != nil {
				w.fail(err)
				return
			}
			w.n.Store(int64(n))
		}
	}
}

// Written is the number of alerts completely written so far.
func (w *writer) Written() int { return int(w.n.Load()) }

func (w *writer) halt() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	w.done.Wait()
}
