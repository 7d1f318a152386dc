package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Problem is one reason a config does not satisfy its schema.
type Problem struct {
	// Path is the dotted key the problem is about ("trading.max_positions");
	// empty for the document as a whole.
	Path    string `json:"path"`
	Message string `json:"message"`
}

// validator checks documents against one compiled schema.
type validator struct {
	compiled *jsonschema.Schema
	// raw is the schema document, kept to look up the project's own
	// "x-error" messages, which say more than a generic "not failed".
	raw any
}

const schemaResource = "schema.json"

func newValidator(schemaJSON []byte) (*validator, error) {
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaResource, raw); err != nil {
		return nil, err
	}
	compiled, err := c.Compile(schemaResource)
	if err != nil {
		return nil, err
	}
	return &validator{compiled: compiled, raw: raw}, nil
}

// problems lists every failure, sorted by path so the view is stable.
// Schema errors at a path that a strict problem already explains are left
// out: one key, one reason.
func (v *validator) problems(doc map[string]any, strict []Problem) []Problem {
	out := append([]Problem{}, strict...)
	explained := map[string]bool{}
	for _, p := range strict {
		explained[p.Path] = true
	}
	for _, p := range v.schemaProblems(doc) {
		if !explained[p.Path] {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		out = v.orderProblems(doc)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// orderProblems checks the schema's "x-order" pairs: JSON Schema cannot
// compare two values, so every judge of the config (this app, the toolkit
// and both services) checks them itself once the rest passes, naming the
// upper key.
func (v *validator) orderProblems(doc map[string]any) []Problem {
	root, _ := v.raw.(map[string]any)
	rules, _ := root["x-order"].([]any)
	var out []Problem
	for _, r := range rules {
		rule, _ := r.(map[string]any)
		lowKey, _ := rule["lower"].(string)
		highKey, _ := rule["upper"].(string)
		strict, _ := rule["strict"].(bool)
		msg, _ := rule["x-error"].(string)
		c, ok := compare(valueAt(doc, strings.Split(lowKey, ".")), valueAt(doc, strings.Split(highKey, ".")))
		if ok && (c > 0 || (strict && c == 0)) {
			out = append(out, Problem{Path: highKey, Message: msg})
		}
	}
	return out
}

// compare orders two strings, or two numbers of any of the kinds a decoded
// document holds: -1, 0 or 1 for a below, equal to or above b.
func compare(a, b any) (int, bool) {
	if as, ok := a.(string); ok {
		bs, ok := b.(string)
		if !ok {
			return 0, false
		}
		return strings.Compare(as, bs), true
	}
	af, okA := toFloat(a)
	bf, okB := toFloat(b)
	if !okA || !okB {
		return 0, false
	}
	switch {
	case af < bf:
		return -1, true
	case af > bf:
		return 1, true
	}
	return 0, true
}

// schemaProblems lists the leaf failures of JSON Schema validation.
func (v *validator) schemaProblems(doc map[string]any) []Problem {
	err := v.compiled.Validate(doc)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return []Problem{{Message: err.Error()}}
	}
	printer := message.NewPrinter(language.English)
	var out []Problem
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		// Unknown and missing keys are reported on the key itself, not on
		// the table that holds it: that is where the person has to look.
		switch k := e.ErrorKind.(type) {
		case *kind.AdditionalProperties:
			for _, key := range k.Properties {
				out = append(out, Problem{Path: joinPath(e.InstanceLocation, key), Message: "unknown key: the schema has no such setting (a typo?)"})
			}
			return
		case *kind.Required:
			for _, key := range k.Missing {
				out = append(out, Problem{Path: joinPath(e.InstanceLocation, key), Message: "missing: the schema requires this setting"})
			}
			return
		}
		msg := e.ErrorKind.LocalizedString(printer)
		if custom, ok := v.customMessage(e.SchemaURL, valueAt(doc, e.InstanceLocation)); ok {
			msg = custom
		}
		out = append(out, Problem{Path: joinPath(e.InstanceLocation), Message: msg})
	}
	walk(verr)
	return out
}

// customMessage returns the "x-error" text of the schema node at schemaURL
// (its fragment is a JSON pointer into the schema), with {value} filled in.
func (v *validator) customMessage(schemaURL string, value any) (string, bool) {
	_, fragment, _ := strings.Cut(schemaURL, "#")
	node := v.raw
	for _, tok := range strings.Split(strings.TrimPrefix(fragment, "/"), "/") {
		if tok == "" {
			continue
		}
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch n := node.(type) {
		case map[string]any:
			node = n[tok]
		case []any:
			var i int
			if _, err := fmt.Sscan(tok, &i); err != nil || i < 0 || i >= len(n) {
				return "", false
			}
			node = n[i]
		default:
			return "", false
		}
	}
	obj, ok := node.(map[string]any)
	if !ok {
		return "", false
	}
	text, ok := obj["x-error"].(string)
	if !ok {
		return "", false
	}
	return strings.ReplaceAll(text, "{value}", formatValue(value)), true
}

func joinPath(location []string, key ...string) string {
	return strings.Join(append(append([]string{}, location...), key...), ".")
}

func valueAt(doc any, path []string) any {
	for _, key := range path {
		m, ok := doc.(map[string]any)
		if !ok {
			return nil
		}
		doc = m[key]
	}
	return doc
}

// strictProblems holds to what TOML says and JSON Schema forgets: 5.0 is a
// float, not an integer, and nan or inf is no setting's value (both slip
// through minimum/maximum). The toolkit and the services judge alike.
func strictProblems(schema *Schema, doc map[string]any) []Problem {
	var out []Problem
	var walk func(s *Schema, v any, path []string)
	walk = func(s *Schema, v any, path []string) {
		switch x := v.(type) {
		case map[string]any:
			for key, child := range x {
				var childSchema *Schema
				if s != nil {
					for _, p := range s.Properties {
						if p.Name == key {
							childSchema = p.Schema
						}
					}
				}
				walk(childSchema, child, append(append([]string{}, path...), key))
			}
		case []any:
			for i, item := range x {
				walk(nil, item, append(append([]string{}, path...), strconv.Itoa(i)))
			}
		case float64:
			switch {
			case math.IsNaN(x) || math.IsInf(x, 0):
				out = append(out, Problem{Path: joinPath(path), Message: fmt.Sprintf("%v is not a finite number", x)})
			case s != nil && s.Type == "integer":
				out = append(out, Problem{Path: joinPath(path), Message: fmt.Sprintf("%s is a float: this setting takes a whole number (write it without a decimal point)", formatFloat(x))})
			}
		}
	}
	walk(schema, doc, nil)
	return out
}

// plainValues turns decoded TOML into the JSON value model the validator
// expects: numbers as json.Number, dates and times as their text. A
// non-finite float becomes null; strictProblems has already reported it.
func plainValues(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, child := range x {
			m[k] = plainValues(child)
		}
		return m
	case []map[string]any:
		list := make([]any, len(x))
		for i, child := range x {
			list[i] = plainValues(child)
		}
		return list
	case []any:
		list := make([]any, len(x))
		for i, child := range x {
			list[i] = plainValues(child)
		}
		return list
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64))
	case string, bool, nil:
		return x
	case fmt.Stringer:
		return x.String()
	default:
		return fmt.Sprint(x)
	}
}
