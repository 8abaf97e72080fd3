// Package threshold turns a threshold.in template into Suricata's
// threshold.config the way suricata-update does: a line whose sid is given
// as "re:REGEX" (suppress re:java, threshold re:"ET SCAN", type …) is
// repeated once per enabled rule whose text the regex matches
// (case-insensitive), with "gen_id G, sig_id S" in place of the matcher and
// a "# [G:S] msg" comment above; every other line is copied as is.
package threshold

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/suricron/suricron/internal/rules/rule"
)

// matcherForms are suricata-update's three ways to find the matcher in a
// line, tried in order: quoted (to the last quote), up to the first comma,
// to the end of the line. Group 1 is replaced, group 2 is the regex.
var matcherForms = []*regexp.Regexp{
	regexp.MustCompile(`\s+(re:"(.*)")`),
	regexp.MustCompile(`\s+(re:(.*?)),.*`),
	regexp.MustCompile(`\s+(re:(.*))`),
}

// Result is the generated file and what went into it.
type Result struct {
	Data []byte
	// Generated counts the lines made from re: matchers.
	Generated int
	// Unmatched lists the line numbers of re: lines that matched no
	// enabled rule (they produce nothing, so they are worth a warning).
	Unmatched []int
}

// Process expands in (named file, for messages) against rules, in their
// output order; only enabled rules are matched. A regex that does not
// compile is an error naming the file and line.
func Process(file, in string, rules []*rule.Rule) (*Result, error) {
	res := &Result{}
	var out bytes.Buffer
	lines := strings.Split(in, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1] // the final newline ends the last line
	}
	for no, line := range lines {
		line = strings.TrimRight(line, " \t\r\n\v\f")
		if line == "" || line[0] == '#' {
			out.WriteString(line)
			out.WriteByte('\n')
			continue
		}
		form, m := find(line)
		if form == nil || m[2] == "" {
			out.WriteString(line)
			out.WriteByte('\n')
			continue
		}
		re, err := regexp.Compile("(?i)" + m[2])
		if err != nil {
			return nil, fmt.Errorf("%s line %d: re:%s: %w", file, no+1, m[2], err)
		}
		n := 0
		for _, r := range rules {
			if !r.Enabled || !re.MatchString(r.Format()) {
				continue
			}
			n++
			fmt.Fprintf(&out, "# [%d:%d] %s\n", r.GID, r.SID, r.Msg)
			out.WriteString(strings.ReplaceAll(line, m[1], "gen_id "+strconv.Itoa(r.GID)+", sig_id "+strconv.Itoa(r.SID)))
			out.WriteString("\n\n")
		}
		res.Generated += n
		if n == 0 {
			res.Unmatched = append(res.Unmatched, no+1)
		}
	}
	res.Data = out.Bytes()
	return res, nil
}

// find returns the first matcher form found in line and its submatches.
func find(line string) (*regexp.Regexp, []string) {
	for _, f := range matcherForms {
		if m := f.FindStringSubmatch(line); m != nil {
			return f, m
		}
	}
	return nil, nil
}
