package digest

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/suricron/suricron/internal/atomicfile"
	"github.com/suricron/suricron/internal/exitcode"
)

// knownFile lists the signatures this sensor has delivered before, so a
// digest can say which are new. It is written only after a digest was
// accepted, beside the checkpoint; it holds at most one entry per rule.
const knownFile = Consumer + ".signatures.json"

// maxKnown bounds the file; far above any rule set's size.
const maxKnown = 500_000

type knownState struct {
	Version int      `json:"version"`
	SIDs    []string `json:"sids"` // "gid:sid", sorted
}

// knownSigs is the set of signatures seen before; nil when the state dir
// is not used (dry run without a state dir).
type knownSigs struct {
	path string
	set  map[sigKey]bool
	// baseline: no list yet (first digest of this state dir). Nothing is
	// called new then — every signature would be — and the list starts.
	baseline bool
}

func loadKnown(stateDir string) (*knownSigs, error) {
	k := &knownSigs{set: map[sigKey]bool{}}
	if stateDir == "" {
		k.baseline = true
		return k, nil
	}
	k.path = filepath.Join(stateDir, knownFile)
	b, err := os.ReadFile(k.path)
	if errors.Is(err, os.ErrNotExist) {
		k.baseline = true
		return k, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", k.path, err)
	}
	var st knownState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, exitcode.Data(fmt.Errorf("known signatures %s is corrupt (remove it to start over; every signature will be new once): %w", k.path, err))
	}
	for _, s := range st.SIDs {
		key, ok := parseGIDSID(s)
		if !ok {
			return nil, exitcode.Data(fmt.Errorf("known signatures %s: bad entry %q", k.path, s))
		}
		k.set[key] = true
	}
	return k, nil
}

// isNew reports whether key was never delivered before on this sensor.
func (k *knownSigs) isNew(key sigKey) bool { return !k.baseline && key.SID != 0 && !k.set[key] }

// save adds keys and writes the file atomically.
func (k *knownSigs) save(keys []sigKey) error {
	if k.path == "" {
		return nil
	}
	changed := false
	for _, key := range keys {
		if !k.set[key] && key.SID != 0 && len(k.set) < maxKnown {
			k.set[key] = true
			changed = true
		}
	}
	if !changed && !k.baseline {
		return nil
	}
	all := make([]sigKey, 0, len(k.set))
	for key := range k.set {
		all = append(all, key)
	}
	slices.SortFunc(all, compareKeys)
	st := knownState{Version: 1, SIDs: make([]string, len(all))}
	for i, key := range all {
		st.SIDs[i] = fmt.Sprintf("%d:%d", key.GID, key.SID)
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(k.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", k.path, err)
	}
	return nil
}

// parseGIDSID reads "gid:sid" (or a bare sid, gid 1).
func parseGIDSID(s string) (sigKey, bool) {
	g, sid, ok := strings.Cut(s, ":")
	if !ok {
		g, sid = "1", s
	}
	gi, err1 := strconv.ParseInt(g, 10, 64)
	si, err2 := strconv.ParseInt(sid, 10, 64)
	if err1 != nil || err2 != nil || gi <= 0 || si <= 0 {
		return sigKey{}, false
	}
	return sigKey{GID: gi, SID: si}, true
}

// rulesReportFile is where alert-digest looks for rules-update's JSON
// report when --rules-report is not given: rules-update does not keep its
// report, so cron saves it there (rules-update --report-format json >
// STATE_DIR/rules-update.report.json).
const rulesReportFile = "rules-update.report.json"

// loadFresh reads the sids a rules-update report says were added or
// modified. A missing file means none; an unreadable one is a note in the
// digest, never a failed digest.
func loadFresh(path string) (map[sigKey]bool, string) {
	if path == "" {
		return nil, ""
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ""
	}
	if err != nil {
		return nil, fmt.Sprintf("rules report %s could not be read (%v): fresh rules are not marked.", path, err)
	}
	var rep struct {
		SIDs struct {
			Added    []string `json:"added"`
			Modified []string `json:"modified"`
		} `json:"sids"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Sprintf("rules report %s is not a rules-update JSON report (%v): fresh rules are not marked.", path, err)
	}
	out := map[sigKey]bool{}
	for _, s := range slices.Concat(rep.SIDs.Added, rep.SIDs.Modified) {
		if k, ok := parseGIDSID(s); ok {
			out[k] = true
		}
	}
	return out, ""
}

func compareKeys(a, b sigKey) int {
	if c := cmp.Compare(a.GID, b.GID); c != 0 {
		return c
	}
	return cmp.Compare(a.SID, b.SID)
}
