package config

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// View is what the desktop app shows of one config file: its identity, its
// problems, and every setting of the schema grouped by top-level section.
type View struct {
	Title      string    `json:"title"`
	ConfigPath string    `json:"configPath"`
	SchemaPath string    `json:"schemaPath"`
	SHA256     string    `json:"sha256"`
	Valid      bool      `json:"valid"`
	Problems   []Problem `json:"problems"`
	Sections   []Section `json:"sections"`
}

// Section is one top-level table of config.toml, shown as one tab.
type Section struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Fields      []Field `json:"fields"`
}

// Field is one leaf setting. Nested tables are flattened into dotted keys
// ("reconnect.max_delay_s") so a section stays a single flat list.
type Field struct {
	Key         string   `json:"key"`
	Path        string   `json:"path"`
	Type        string   `json:"type"`
	Value       string   `json:"value"`
	Set         bool     `json:"set"`
	Default     string   `json:"default"`
	IsDefault   bool     `json:"isDefault"`
	Unit        string   `json:"unit"`
	Description string   `json:"description"`
	Choices     []string `json:"choices"`
	Range       string   `json:"range"`
}

func buildSections(schema *Schema, doc map[string]any) []Section {
	sections := make([]Section, 0, len(schema.Properties))
	for _, prop := range schema.Properties {
		values, _ := doc[prop.Name].(map[string]any)
		sec := Section{Name: prop.Name, Description: prop.Schema.Description, Fields: []Field{}}
		if prop.Schema.Type == "object" {
			collectFields(&sec.Fields, prop.Name, "", prop.Schema, values)
		} else {
			sec.Fields = append(sec.Fields, newField(prop.Name, prop.Name, prop.Schema, doc[prop.Name], doc != nil && doc[prop.Name] != nil))
		}
		sections = append(sections, sec)
	}
	return sections
}

func collectFields(out *[]Field, section, prefix string, s *Schema, values map[string]any) {
	for _, prop := range s.Properties {
		key := prop.Name
		if prefix != "" {
			key = prefix + "." + prop.Name
		}
		raw, set := values[prop.Name]
		if prop.Schema.Type == "object" && len(prop.Schema.Properties) > 0 {
			child, _ := raw.(map[string]any)
			collectFields(out, section, key, prop.Schema, child)
			continue
		}
		*out = append(*out, newField(key, section+"."+key, prop.Schema, raw, set))
	}
}

func newField(key, path string, s *Schema, raw any, set bool) Field {
	f := Field{
		Key:         key,
		Path:        path,
		Type:        s.Type,
		Set:         set,
		Unit:        s.Unit,
		Description: s.Description,
		Choices:     []string{},
		Range:       formatRange(s.Minimum, s.Maximum),
	}
	if s.Default != nil {
		f.Default = formatValue(s.Default)
		if n, ok := s.Default.(json.Number); ok && s.Type == "number" {
			if x, err := n.Float64(); err == nil {
				f.Default = formatFloat(x)
			}
		}
	}
	if set {
		f.Value = formatValue(raw)
		f.IsDefault = s.Default != nil && sameValue(raw, s.Default)
	}
	for _, c := range s.Enum {
		f.Choices = append(f.Choices, formatValue(c))
	}
	return f
}

// sameValue compares a TOML value with a JSON one: numbers by value (TOML
// 5.0 equals a schema default of 5), lists item by item.
func sameValue(a, b any) bool {
	if x, ok := toFloat(a); ok {
		y, ok := toFloat(b)
		return ok && x == y
	}
	xs, aList := a.([]any)
	ys, bList := b.([]any)
	if aList || bList {
		if !aList || !bList || len(xs) != len(ys) {
			return false
		}
		for i := range xs {
			if !sameValue(xs[i], ys[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// formatValue renders a TOML or JSON value the way a person would type it.
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return formatFloat(x)
	case float32:
		return formatFloat(float64(x))
	case []any:
		parts := make([]string, len(x))
		for i, item := range x {
			parts[i] = formatValue(item)
		}
		return strings.Join(parts, ", ")
	default:
		return fmt.Sprint(x)
	}
}

// formatFloat keeps a whole float recognisable as a float ("10.0", not "10"),
// matching how it is written in config.toml.
func formatFloat(x float64) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func formatRange(lo, hi *float64) string {
	num := func(p *float64) string { return strconv.FormatFloat(*p, 'f', -1, 64) }
	switch {
	case lo != nil && hi != nil:
		return num(lo) + " … " + num(hi)
	case lo != nil:
		return "≥ " + num(lo)
	case hi != nil:
		return "≤ " + num(hi)
	}
	return ""
}
