package eve

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/buger/jsonparser"
)

// parseFlowSummaryEachKey is ParseFlowSummary as it was before the
// hand-written walk (one jsonparser.EachKey with flowPaths), kept verbatim
// as the oracle the walk must agree with on every input.
func parseFlowSummaryEachKey(line []byte, s *FlowSummary) error {
	*s = FlowSummary{}
	line = bytes.TrimSpace(line)
	if !Complete(line) {
		return errors.New("not a complete JSON object")
	}
	var perr error
	jsonparser.EachKey(line, func(idx int, v []byte, vt jsonparser.ValueType, err error) {
		if perr != nil {
			return
		}
		if err != nil {
			perr = err
			return
		}
		if vt == jsonparser.Null {
			return // Parse skips nulls too
		}
		if idx >= 7 {
			s.HasFlow = true
		}
		switch idx {
		case 0:
			var ts string
			if ts, err = str(v, vt); err == nil {
				s.Timestamp, err = ParseTime(ts)
			}
		case 1:
			s.SrcIP, err = addr(v, vt)
		case 2:
			s.SrcPort, err = port(v, vt)
		case 3:
			s.DestIP, err = addr(v, vt)
		case 4:
			s.DestPort, err = port(v, vt)
		case 5:
			s.Proto, err = fieldProto(v, vt)
		case 6:
			s.AppProto, err = fieldProto(v, vt)
		case 7:
			s.PktsToServer, err = num(v, vt)
		case 8:
			s.PktsToClient, err = num(v, vt)
		case 9:
			s.BytesToServer, err = num(v, vt)
		case 10:
			s.BytesToClient, err = num(v, vt)
		}
		if err != nil {
			perr = fmt.Errorf("field %s: %w", pathName(flowPaths[idx]), err)
		}
	}, flowPaths[:]...)
	if perr != nil {
		return perr
	}
	if !s.HasFlow {
		// A flow object without any counter is still a flow object (rare:
		// only damaged or hand-made records get here).
		if _, vt, _, err := jsonparser.Get(line, "flow"); err == nil {
			if vt != jsonparser.Object && vt != jsonparser.Null {
				return fmt.Errorf("field flow: want an object, got %s", vt)
			}
			s.HasFlow = vt == jsonparser.Object
		}
	}
	return nil
}
