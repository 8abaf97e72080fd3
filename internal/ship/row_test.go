package ship

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBuildRowCleans(t *testing.T) {
	m := rowMeta{sensor: "s1", fileID: "f", end: 100}
	for _, tc := range []struct {
		name, line, table string
		want              map[string]any
		cleaned           int
	}{
		{"alert", `{"timestamp":"2024-05-08T18:00:01.250000+0200","flow_id":1152921504606846977,"event_type":"alert","src_ip":"10.0.0.1","src_port":1234,"dest_ip":"2001:db8::1","dest_port":443,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2001,"rev":3,"signature":"ET \"x\"","category":"c","severity":1}}`,
			TableAlerts, map[string]any{"date": "2024-05-08", "ts": "2024-05-08 16:00:01", "usec": 250000.0, "flow_id": 1152921504606846977.0, "src_port": 1234.0, "dest_ip": "2001:db8::1", "signature": `ET "x"`, "severity": 1.0, "sensor": "s1"}, 0},
		{"nulls and wrong types", `{"timestamp":"2024-05-08T18:00:01.000000+0000","event_type":"alert","src_ip":null,"src_port":"80","dest_port":70000,"flow_id":-1,"alert":{"signature_id":"x","severity":1.5,"signature":null}}`,
			TableAlerts, map[string]any{"src_ip": "", "src_port": 80.0, "dest_port": 0.0, "flow_id": 0.0, "signature_id": 0.0, "severity": 0.0, "signature": ""}, 6},
		{"stats", `{"timestamp":"2024-05-08T18:00:01.000000+0000","event_type":"stats","stats":{"uptime":84,"capture":{"kernel_packets":164,"kernel_drops":2},"decoder":{"pkts":170,"bytes":9000}}}`,
			TableStats, map[string]any{"uptime": 84.0, "kernel_packets": 164.0, "kernel_drops": 2.0, "has_capture": 1.0, "decoder_pkts": 170.0, "decoder_bytes": 9000.0}, 0},
		{"anomaly keeps raw", `{"timestamp":"2024-05-08T18:00:01.000000+0000","event_type":"anomaly","anomaly":{"type":"decode","event":"ipv4.trunc_pkt"}}`,
			TableEvents, map[string]any{"anomaly_type": "decode", "anomaly_event": "ipv4.trunc_pkt", "raw": `{"timestamp":"2024-05-08T18:00:01.000000+0000","event_type":"anomaly","anomaly":{"type":"decode","event":"ipv4.trunc_pkt"}}`}, 0},
		{"unparsable time is passed on", `{"timestamp":"yesterday","event_type":"alert"}`,
			TableAlerts, map[string]any{"ts": "yesterday", "date": "yesterday"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			row, cleaned, err := BuildRow([]byte(tc.line), m)
			if err != nil {
				t.Fatal(err)
			}
			if row.Table != tc.table || cleaned != tc.cleaned {
				t.Errorf("table %s cleaned %d, want %s %d", row.Table, cleaned, tc.table, tc.cleaned)
			}
			var got map[string]any
			if err := json.Unmarshal(row.JSON, &got); err != nil {
				t.Fatalf("row is not JSON: %v\n%s", err, row.JSON)
			}
			// Every column is present: 18.16 applies no DEFAULT.
			for _, c := range columns(tc.table) {
				if _, ok := got[c.name]; !ok {
					t.Errorf("column %s missing", c.name)
				}
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %#v, want %#v", k, got[k], v)
				}
			}
		})
	}
}

func TestBuildRowRejects(t *testing.T) {
	for _, line := range []string{`{"event_type":"alert"`, `[1,2]`, `{"event_type":"alert"}`, ``} {
		if _, _, err := BuildRow([]byte(line), rowMeta{}); err == nil {
			t.Errorf("%q accepted", line)
		}
	}
}

func TestEIDStable(t *testing.T) {
	a := EID("s1", "head", 100)
	if a != EID("s1", "head", 100) {
		t.Fatal("EID not deterministic")
	}
	for _, b := range []uint64{EID("s2", "head", 100), EID("s1", "other", 100), EID("s1", "head", 101)} {
		if a == b {
			t.Errorf("EID collides across sensor, file or offset")
		}
	}
}

func TestSchemaCluster(t *testing.T) {
	plain := strings.Join(Schema(SchemaOptions{Database: "suricron"}), "\n")
	if strings.Contains(plain, "Distributed") || !strings.Contains(plain, "ORDER BY (date, sensor, eid)") || !strings.Contains(plain, "PARTITION BY toYYYYMM(date)") {
		t.Errorf("plain schema:\n%s", plain)
	}
	cl := Schema(SchemaOptions{Database: "suricron", Cluster: "fleet"})
	if len(cl) != 1+2*len(Tables) || !strings.Contains(strings.Join(cl, "\n"), "Distributed(`fleet`, `suricron`, `alerts_local`, cityHash64(sensor))") {
		t.Errorf("cluster schema:\n%s", strings.Join(cl, "\n"))
	}
}

func FuzzBuildRow(f *testing.F) {
	f.Add([]byte(`{"timestamp":"2024-05-08T18:00:01.250000+0200","event_type":"alert","alert":{"signature_id":1}}`))
	f.Add([]byte(`{"timestamp":null,"event_type":"stats","stats":{"capture":[]}}`))
	f.Add([]byte(`{"timestamp":"x","event_type":"flow","flow":{"bytes_toserver":"1e3"}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		row, _, err := BuildRow(line, rowMeta{sensor: "s", fileID: "f", end: 1})
		if err != nil {
			return
		}
		var m map[string]any
		if err := json.Unmarshal(row.JSON, &m); err != nil {
			t.Fatalf("row is not JSON: %v\n%s", err, row.JSON)
		}
		if len(m) != len(columns(row.Table)) {
			t.Fatalf("row has %d fields, table %d columns", len(m), len(columns(row.Table)))
		}
	})
}
