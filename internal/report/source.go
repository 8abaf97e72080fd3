package report

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// Source supplies the day aggregates from somewhere other than the local
// state dir: weekly-report --source clickhouse (internal/fleet) answers
// with days aggregated by GROUP BY queries across sensors. The report is
// then built and rendered exactly as the local one.
type Source interface {
	Days(ctx context.Context, period Period, loc *time.Location, top int) (*SourceData, error)
}

// SourceData is a Source's answer, in the shape fromStore fills.
type SourceData struct {
	Cur, Prev, Base map[string]*Day // as buildInput: the period, the week before, everything before
	Sensors         []SensorRow
	Notes           []string
}

// SensorRow is one sensor of a fleet report.
type SensorRow struct {
	Sensor        string    `json:"sensor"`
	Alerts        int64     `json:"alerts"`
	High          int64     `json:"high"` // severity 1
	KernelPackets int64     `json:"kernel_packets"`
	KernelDrops   int64     `json:"kernel_drops"`
	DropRatio     float64   `json:"drop_ratio"`
	Restarts      int       `json:"restarts"`
	LastEvent     time.Time `json:"last_event"`
	Silent        bool      `json:"silent"`
}

// NewDay returns an empty day aggregate for a Source to fill.
func NewDay(date string) *Day { return newDay(date) }

// fromSource fills in from a Source.
func fromSource(ctx context.Context, src Source, in *buildInput) ([]SensorRow, error) {
	data, err := src.Days(ctx, in.period, in.loc, in.top)
	if err != nil {
		return nil, err
	}
	in.cur, in.prev, in.base = data.Cur, data.Prev, data.Base
	in.notes = append(in.notes, data.Notes...)
	return data.Sensors, nil
}

// renderSensors writes the per-sensor table of a fleet report (nothing
// for a local one).
func renderSensors(w io.Writer, r *Report, loc *time.Location, kind tableKind) error {
	if len(r.Sensors) == 0 {
		return nil
	}
	title := "5. Sensors"
	if kind == markdownTable {
		title = "## " + title
	}
	if _, err := fmt.Fprintf(w, "\n%s\n\n", title); err != nil {
		return err
	}
	var rows [][]string
	for _, s := range r.Sensors {
		flag := ""
		if s.Silent {
			flag = "SILENT"
		}
		rows = append(rows, []string{s.Sensor, num(s.Alerts), num(s.High), pct(s.DropRatio), fmt.Sprint(s.Restarts), shortStamp(s.LastEvent, loc), flag})
	}
	return writeTable(w, kind, []string{"Sensor", "Alerts", "High", "Drop", "Restarts", "Last event", strings.Repeat(" ", 0) + "Status"}, rows,
		[]bool{false, true, true, true, true, false, false})
}
