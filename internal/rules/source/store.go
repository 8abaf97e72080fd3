package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"

	"github.com/suricron/suricron/internal/atomicfile"
)

const storeVersion = 1

// Enabled is one source the operator enabled from the index. Secrets are
// not stored: SecretFiles and HeaderFile name the files they are read
// from at each run (so a rotated token needs no re-enable, and the state
// dir never holds a second copy).
type Enabled struct {
	Name        string            `json:"name"`
	Disabled    bool              `json:"disabled,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	SecretFiles map[string]string `json:"secret_files,omitempty"`
	HeaderFile  string            `json:"header_file,omitempty"`
}

// Store is the enabled-sources file (rules-update.sources.json in the
// state dir). Callers hold the rules-update lock while they load, change
// and save it.
type Store struct {
	Version int       `json:"version"`
	Sources []Enabled `json:"sources"`
}

// LoadStore reads the store at p; a missing file is an empty store.
func LoadStore(p string) (*Store, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return &Store{Version: storeVersion}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read enabled sources %s: %w", p, err)
	}
	var s Store
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("enabled sources %s: %v (fix or remove the file): %w", p, err, ErrBadIndex)
	}
	if s.Version != storeVersion {
		return nil, fmt.Errorf("enabled sources %s: version %d, want %d: %w", p, s.Version, storeVersion, ErrBadIndex)
	}
	for _, e := range s.Sources {
		if !ValidName(e.Name) {
			return nil, fmt.Errorf("enabled sources %s: bad source name %q: %w", p, e.Name, ErrBadIndex)
		}
	}
	return &s, nil
}

// Save writes the store atomically (temp, fsync, rename, dir fsync).
func (s *Store) Save(p string) error {
	s.Version = storeVersion
	sort.Slice(s.Sources, func(i, j int) bool { return s.Sources[i].Name < s.Sources[j].Name })
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(p, append(b, '\n'), 0o600)
}

// Get returns the entry for name, or nil.
func (s *Store) Get(name string) *Enabled {
	for i := range s.Sources {
		if s.Sources[i].Name == name {
			return &s.Sources[i]
		}
	}
	return nil
}

// Put adds or replaces the entry named e.Name.
func (s *Store) Put(e Enabled) {
	if old := s.Get(e.Name); old != nil {
		*old = e
		return
	}
	s.Sources = append(s.Sources, e)
}

// Remove deletes the entry for name and reports whether there was one.
func (s *Store) Remove(name string) bool {
	for i := range s.Sources {
		if s.Sources[i].Name == name {
			s.Sources = append(s.Sources[:i], s.Sources[i+1:]...)
			return true
		}
	}
	return false
}

// Active returns the entries that are not disabled, in name order.
func (s *Store) Active() []Enabled {
	var out []Enabled
	for _, e := range s.Sources {
		if !e.Disabled {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
