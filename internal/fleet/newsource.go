package fleet

import (
	"github.com/suricron/suricron/internal/report"
	"github.com/suricron/suricron/internal/ship"
)

// NewSource is the report.FleetSource weekly-report --source clickhouse
// runs on: a ClickHouse client from eve-ship's server flags, one sensor or
// (sensor "") the whole fleet.
func NewSource(q report.FleetQuery) (report.Source, error) {
	client, _, err := ship.NewClient(q.Server, ship.Deps{})
	if err != nil {
		return nil, err
	}
	return &Source{Client: client, Sensor: q.Sensor, SilentAfter: q.SilentAfter, Now: q.Now,
		HomeNet: q.HomeNet, SuricataYAML: q.SuricataYAML}, nil
}
