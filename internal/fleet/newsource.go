package fleet

import (
	"time"

	"github.com/suricron/suricron/internal/report"
	"github.com/suricron/suricron/internal/ship"
)

// NewSource is the report.FleetSource weekly-report --source clickhouse
// runs on: a ClickHouse client from eve-ship's server flags, one sensor or
// (sensor "") the whole fleet.
func NewSource(server ship.Config, sensor string, silentAfter time.Duration, now func() time.Time) (report.Source, error) {
	client, _, err := ship.NewClient(server, ship.Deps{})
	if err != nil {
		return nil, err
	}
	return &Source{Client: client, Sensor: sensor, SilentAfter: silentAfter, Now: now}, nil
}
