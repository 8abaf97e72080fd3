package eve

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/buger/jsonparser"
)

// parseFlowSummaryEachKey is ParseFlowSummary as it was before the
// hand-written walk (one jsonparser.EachKey with flowPaths), kept as the
// oracle the walk must agree with on every input. The value conversion is
// shared (setFlowValue): what it holds the walk to is the scan — which
// keys are found, in what order, and where it gives up. FuzzFlowSummary
// checks the conversions against Parse.
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
		perr = setFlowValue(s, idx, v, vt)
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
