package eve

import (
	"bytes"
	"errors"

	"github.com/buger/jsonparser"
)

// parseFlowSummaryEachKey is ParseFlowSummary as it was before the
// hand-written walk (one jsonparser.EachKey with flowPaths), kept as the
// oracle the walk must agree with on every input. The value conversion
// (setFlowValue) and the flow-object check after the scan (flowObject) are
// shared: what it holds the walk to is the scan — which keys are found, in
// what order, and where it gives up. FuzzFlowSummary checks the
// conversions against Parse.
func parseFlowSummaryEachKey(line []byte, s *FlowSummary) error {
	return parseFlowSummaryEachKeyOf(line, AllFlowFields, s)
}

// parseFlowSummaryEachKeyOf is the oracle for ParseFlowSummaryOf: EachKey
// over the wanted paths only.
func parseFlowSummaryEachKeyOf(line []byte, want FlowFields, s *FlowSummary) error {
	var paths [][]string
	var field []int // field[i]: the flowPaths index of paths[i]
	for i, p := range flowPaths {
		if want&(1<<i) != 0 {
			paths = append(paths, p)
			field = append(field, i)
		}
	}
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
		perr = setFlowValue(s, field[idx], v, vt)
	}, paths...)
	if perr != nil {
		return perr
	}
	return flowObject(line, s)
}
