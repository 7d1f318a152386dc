package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// node is the part of a JSON Schema node the form shows. Judging uses the
// whole document through the config contract; this only describes controls.
type node struct {
	Type             string      `json:"type"`
	Title            string      `json:"title"`
	Description      string      `json:"description"`
	Unit             string      `json:"x-unit"`
	Default          any         `json:"default"`
	Enum             []any       `json:"enum"`
	Minimum          *float64    `json:"minimum"`
	Maximum          *float64    `json:"maximum"`
	ExclusiveMinimum *float64    `json:"exclusiveMinimum"`
	ExclusiveMaximum *float64    `json:"exclusiveMaximum"`
	Pattern          string      `json:"pattern"`
	MinLength        *int        `json:"minLength"`
	MaxLength        *int        `json:"maxLength"`
	MinItems         *int        `json:"minItems"`
	MaxItems         *int        `json:"maxItems"`
	UniqueItems      bool        `json:"uniqueItems"`
	Items            *node       `json:"items"`
	Secret           bool        `json:"x-secret"`
	WriteOnly        bool        `json:"writeOnly"`
	Properties       properties  `json:"properties"`
	Order            []orderRule `json:"x-order"`
}

type orderRule struct {
	Lower  string `json:"lower"`
	Upper  string `json:"upper"`
	Strict bool   `json:"strict"`
}

type property struct {
	name string
	node *node
}

// properties keeps the schema's key order: the order the authors chose to
// present the settings in.
type properties []property

func (p *properties) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("properties must be an object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		var child node
		if err := dec.Decode(&child); err != nil {
			return fmt.Errorf("property %q: %w", name, err)
		}
		*p = append(*p, property{name, &child})
	}
	_, err := dec.Token()
	return err
}

func parseSchema(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var s node
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	if s.Type != "object" || len(s.Properties) == 0 {
		return nil, fmt.Errorf("the root must be an object schema with properties (one per config section)")
	}
	return &s, nil
}

// leaf is one setting of the schema, by its dotted key.
type leaf struct {
	key     string
	section string
	node    *node
}

// sections lists every setting in schema order, nested tables flattened,
// grouped by top-level section: the i-th group is the settings of
// s.Properties[i]. A top-level object is always a section, even an empty
// one; a nested object without properties is a setting of its own.
func (s *node) sections() [][]leaf {
	out := make([][]leaf, len(s.Properties))
	for i, p := range s.Properties {
		if p.node.Type == "object" {
			out[i] = appendLeaves(nil, p.name, p.name, p.node)
		} else {
			out[i] = []leaf{{p.name, p.name, p.node}}
		}
	}
	return out
}

// appendLeaves appends the settings under n, their keys below prefix.
func appendLeaves(out []leaf, prefix, section string, n *node) []leaf {
	for _, p := range n.Properties {
		key := prefix + "." + p.name
		if p.node.Type == "object" && len(p.node.Properties) > 0 {
			out = appendLeaves(out, key, section, p.node)
			continue
		}
		out = append(out, leaf{key, section, p.node})
	}
	return out
}

// at finds the schema node of a dotted key, setting or table; nil if none.
func (s *node) at(key string) *node {
	n := s
	for _, part := range strings.Split(key, ".") {
		var next *node
		for _, p := range n.Properties {
			if p.name == part {
				next = p.node
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// field finds a setting by dotted key; nil for a table or an unknown key.
func (s *node) field(key string) *node {
	if n := s.at(key); n != nil && n.Type != "object" {
		return n
	}
	return nil
}

// kind is the form control of a schema node.
func (n *node) kind() string {
	switch {
	case n.Type == "boolean":
		return "bool"
	case n.Type == "integer" && len(n.Enum) == 0:
		return "int"
	case n.Type == "number":
		return "float"
	case len(n.Enum) > 0:
		return "enum"
	case n.Type == "array":
		return "array"
	}
	return "string"
}

func itemKind(n *node) string {
	if n.Items == nil {
		return "string"
	}
	switch n.Items.Type {
	case "integer":
		return "int"
	case "number":
		return "float"
	}
	return "string"
}

// allowed words what a setting accepts, for a fix ("use a whole number from 1 to 100").
func (n *node) allowed() string {
	rng := func(what string) string {
		switch {
		case n.Minimum != nil && n.Maximum != nil:
			what += " from " + formatNumber(*n.Minimum) + " to " + formatNumber(*n.Maximum)
		case n.Minimum != nil:
			what += " of at least " + formatNumber(*n.Minimum)
		case n.Maximum != nil:
			what += " of at most " + formatNumber(*n.Maximum)
		}
		if n.ExclusiveMinimum != nil {
			what += " above " + formatNumber(*n.ExclusiveMinimum)
		}
		if n.ExclusiveMaximum != nil {
			what += " below " + formatNumber(*n.ExclusiveMaximum)
		}
		if n.Unit != "" {
			what += " " + n.Unit
		}
		return what
	}
	switch n.kind() {
	case "bool":
		return "true or false"
	case "int":
		return rng("a whole number")
	case "float":
		return rng("a number")
	case "enum":
		return "one of " + strings.Join(enumStrings(n.Enum), ", ")
	case "array":
		what := "a list"
		if n.Items != nil && len(n.Items.Enum) > 0 {
			what += " of " + strings.Join(enumStrings(n.Items.Enum), ", ")
		} else if n.Items != nil && n.Items.Pattern != "" {
			what += " of texts matching " + n.Items.Pattern
		}
		if n.MinItems != nil && *n.MinItems > 0 {
			what += fmt.Sprintf(", at least %d", *n.MinItems)
		}
		if n.UniqueItems {
			what += ", no repeats"
		}
		return what
	}
	if n.Pattern != "" {
		return "a text matching " + n.Pattern
	}
	if n.MinLength != nil && *n.MinLength > 0 {
		return "a text that is not empty"
	}
	return "a text"
}

// formatNumber writes a schema bound as JSON has it: 10, 0.01.
func formatNumber(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func enumStrings(values []any) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = fmt.Sprint(v)
	}
	return out
}

// jsonValue turns the schema's json.Number defaults into int64 or float64.
func jsonValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil && !strings.ContainsAny(x.String(), ".eE") {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = jsonValue(item)
		}
		return out
	}
	return v
}
