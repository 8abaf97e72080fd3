package rule

// Set holds rules in output order with one rule per gid:sid. Adding a rule
// whose key exists keeps the higher rev; a replacement takes the place of
// the rule it replaces, as assigning to an existing key of suricata-update's
// rule map (a Python dict) does, so the merged files agree (checked against
// 1.2.7 with a --local file holding an older rev of an ET rule).
type Set struct {
	list  []*Rule
	index map[Key]int
	n     int
	// Duplicates counts rules dropped as same-or-lower rev duplicates.
	Duplicates int
}

// NewSet returns an empty set sized for about n rules.
func NewSet(n int) *Set {
	return &Set{list: make([]*Rule, 0, n), index: make(map[Key]int, n)}
}

// Add inserts r, resolving duplicates by rev (ties keep the first seen).
func (s *Set) Add(r *Rule) {
	k := r.Key()
	if i, ok := s.index[k]; ok {
		s.Duplicates++
		if r.Rev > s.list[i].Rev {
			s.list[i] = r
		}
		return
	}
	s.index[k] = len(s.list)
	s.list = append(s.list, r)
	s.n++
}

// Get returns the rule with key k, or nil.
func (s *Set) Get(k Key) *Rule {
	if i, ok := s.index[k]; ok {
		return s.list[i]
	}
	return nil
}

// Replace swaps the rule stored under r's key for r, keeping its position.
// It reports false when no rule has that key.
func (s *Set) Replace(r *Rule) bool {
	i, ok := s.index[r.Key()]
	if !ok {
		return false
	}
	s.list[i] = r
	return true
}

// Len is the number of distinct rules.
func (s *Set) Len() int { return s.n }

// Each calls fn for every rule in output order; fn may modify the rule in
// place or return a replacement (nil keeps it).
func (s *Set) Each(fn func(r *Rule) *Rule) {
	for i, r := range s.list {
		if r == nil {
			continue
		}
		if nr := fn(r); nr != nil {
			s.list[i] = nr
		}
	}
}

// Rules returns the rules in output order.
func (s *Set) Rules() []*Rule {
	out := make([]*Rule, 0, s.n)
	for _, r := range s.list {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}
