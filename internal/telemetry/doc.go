// Package telemetry implements telemetry-send and dump-data: it selects the
// alerts whose SID is in the ET telemetry list, masks every local address on
// parsed netip.Addr values behind an allow-list of fields, serialises them
// byte-stably, and uploads them to the ET Pro Telemetry service (one event
// per POST) or to any collector (JSON Lines batches), advancing the
// checkpoint only past what the server acknowledged. dump-data runs the same
// selection, masking and serialisation and prints the bytes instead.
// research/telemetry.md §8 is the design.
package telemetry
