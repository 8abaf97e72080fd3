package homenet

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// maxYAMLLine bounds one line of suricata.yaml; real ones are short.
const maxYAMLLine = 1 << 20

// ParseYAMLVars reads the vars.address-groups mapping of a suricata.yaml
// (HOME_NET, EXTERNAL_NET, DNS_SERVERS, …) and returns name → expression.
// It reads only that block, by indentation, so it needs no YAML library and
// ignores the rest of the file (includes, anchors, flow sequences). Values
// may be plain, single- or double-quoted; comments are dropped.
func ParseYAMLVars(r io.Reader) (map[string]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxYAMLLine)
	vars := map[string]string{}
	const (
		outside = iota
		inVars
		inGroups
	)
	state := outside
	varsIndent, groupsIndent, entryIndent := -1, -1, -1
	lineNo := 0
	for sc.Scan() {
		lineNo++
		raw := strings.TrimRight(sc.Text(), " \t\r")
		trimmed := strings.TrimLeft(raw, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, "%") || trimmed == "---" {
			continue
		}
		if strings.HasPrefix(trimmed, "\t") {
			return nil, fmt.Errorf("line %d: tab indentation is not valid YAML", lineNo)
		}
		indent := len(raw) - len(trimmed)
		key, value, isMap := splitKey(trimmed)
		switch state {
		case outside:
			if isMap && key == "vars" && value == "" {
				state, varsIndent = inVars, indent
			}
		case inVars:
			if indent <= varsIndent {
				state = outside
				if isMap && key == "vars" && value == "" {
					state, varsIndent = inVars, indent
				}
				continue
			}
			if isMap && key == "address-groups" && value == "" {
				state, groupsIndent, entryIndent = inGroups, indent, -1
			}
		case inGroups:
			if indent <= groupsIndent {
				state = inVars
				if indent <= varsIndent {
					state = outside
				}
				if isMap && key == "address-groups" && value == "" && state == inVars {
					state, groupsIndent, entryIndent = inGroups, indent, -1
				}
				continue
			}
			if entryIndent < 0 {
				entryIndent = indent
			}
			if indent != entryIndent {
				continue // a nested value under an entry; not Suricata's shape
			}
			if !isMap {
				return nil, fmt.Errorf("line %d: expected NAME: value in vars.address-groups", lineNo)
			}
			v, err := yamlScalar(value)
			if err != nil {
				return nil, fmt.Errorf("line %d: %s: %w", lineNo, key, err)
			}
			vars[key] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", lineNo+1, err)
	}
	return vars, nil
}

// splitKey splits "key: value" (value may be empty). Keys may be quoted.
func splitKey(s string) (key, value string, ok bool) {
	if strings.HasPrefix(s, "- ") || s == "-" {
		return "", "", false
	}
	k, v, found := strings.Cut(s, ":")
	if !found {
		return "", "", false
	}
	if v != "" && v[0] != ' ' && v[0] != '\t' {
		return "", "", false // "a:b" is a plain scalar, not a mapping
	}
	k = strings.Trim(strings.TrimSpace(k), `"'`)
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "#") {
		v = ""
	}
	return k, v, true
}

// yamlScalar decodes a quoted or plain scalar and drops a trailing comment.
func yamlScalar(v string) (string, error) {
	if v == "" {
		return "", fmt.Errorf("empty value")
	}
	switch v[0] {
	case '"':
		var b strings.Builder
		for i := 1; i < len(v); i++ {
			c := v[i]
			switch c {
			case '\\':
				if i+1 >= len(v) {
					return "", fmt.Errorf("unterminated escape")
				}
				i++
				switch v[i] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				default:
					b.WriteByte(v[i])
				}
			case '"':
				if rest := strings.TrimSpace(v[i+1:]); rest != "" && !strings.HasPrefix(rest, "#") {
					return "", fmt.Errorf("text after closing quote")
				}
				return b.String(), nil
			default:
				b.WriteByte(c)
			}
		}
		return "", fmt.Errorf("unterminated double quote")
	case '\'':
		var b strings.Builder
		for i := 1; i < len(v); i++ {
			if v[i] == '\'' {
				if i+1 < len(v) && v[i+1] == '\'' {
					b.WriteByte('\'')
					i++
					continue
				}
				if rest := strings.TrimSpace(v[i+1:]); rest != "" && !strings.HasPrefix(rest, "#") {
					return "", fmt.Errorf("text after closing quote")
				}
				return b.String(), nil
			}
			b.WriteByte(v[i])
		}
		return "", fmt.Errorf("unterminated single quote")
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	return v, nil
}
