package homenet

import (
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// maxYAML bounds the suricata.yaml read; real ones are about 80 KiB.
const maxYAML = 16 << 20

// ParseYAMLVars reads the vars.address-groups mapping of a suricata.yaml
// (HOME_NET, EXTERNAL_NET, DNS_SERVERS, …) and returns name → expression.
// The file is parsed by a YAML library (go.yaml.in/yaml/v3), so every form
// Suricata's own libyaml accepts works: the "%YAML 1.1" header, flow maps,
// anchors and aliases, folded and literal scalars, quoting. Suricata's
// "include:" directives are not followed. Values must be scalars; numbers
// are kept as written.
func ParseYAMLVars(r io.Reader) (map[string]string, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxYAML+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxYAML {
		return nil, fmt.Errorf("larger than %d bytes", maxYAML)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	vars := map[string]string{}
	if len(doc.Content) == 0 {
		return vars, nil // an empty file
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: the document is not a mapping", root.Line)
	}
	groups := lookup(lookup(root, "vars"), "address-groups")
	if groups == nil {
		return vars, nil
	}
	if groups.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: vars.address-groups: expected NAME: value entries", groups.Line)
	}
	for _, kv := range entries(groups, 0) {
		k, v := kv[0], kv[1]
		if v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: %s: expected a scalar address expression", v.Line, k.Value)
		}
		if v.Tag == "!!null" || v.Value == "" {
			return nil, fmt.Errorf("line %d: %s: empty value", v.Line, k.Value)
		}
		vars[k.Value] = v.Value
	}
	return vars, nil
}

// resolve follows aliases (bounded, so a cycle cannot loop).
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 64; i++ {
		n = n.Alias
	}
	return n
}

// lookup returns the value of key in a mapping (merge keys "<<" included);
// nil when absent. The last occurrence wins, as in Suricata's loader.
func lookup(m *yaml.Node, key string) *yaml.Node {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	var found *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := resolve(m.Content[i])
		switch {
		case k.Value == key && k.Tag != "!!merge":
			found = resolve(m.Content[i+1])
		case k.Tag == "!!merge" && found == nil:
			found = lookup(m.Content[i+1], key)
		}
	}
	return found
}

// entries lists a mapping's key/value pairs with merge keys ("<<: *x")
// expanded; explicit keys come after merged ones, so they win.
func entries(m *yaml.Node, depth int) [][2]*yaml.Node {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode || depth > 16 {
		return nil
	}
	var merged, own [][2]*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := resolve(m.Content[i]), resolve(m.Content[i+1])
		if k.Tag == "!!merge" {
			if v.Kind == yaml.SequenceNode {
				for _, e := range v.Content {
					merged = append(merged, entries(e, depth+1)...)
				}
			} else {
				merged = append(merged, entries(v, depth+1)...)
			}
			continue
		}
		own = append(own, [2]*yaml.Node{k, v})
	}
	return append(merged, own...)
}
