package configcontract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// schemaResource is the name the compiler knows the schema by; the
// schema's own $id takes over once it is compiled.
const schemaResource = "schema.json"

// Schema is the compiled config schema plus its raw document, kept because
// the validator reports where a check failed but not the `x-error`,
// `x-order` and `default` annotations that sit there.
type Schema struct {
	compiled *jsonschema.Schema
	doc      map[string]any
}

// CompileSchema compiles a schema.json document. It takes bytes rather than
// a path because consumers find the schema differently: the scanner embeds
// its copy, the desktop app reads the repository's.
func CompileSchema(data []byte) (*Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("parsing the schema: %w", err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the schema's top level is not an object")
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaResource, doc); err != nil {
		return nil, fmt.Errorf("adding the schema to the compiler: %w", err)
	}
	compiled, err := c.Compile(schemaResource)
	if err != nil {
		return nil, fmt.Errorf("compiling the schema: %w", err)
	}
	return &Schema{compiled: compiled, doc: obj}, nil
}

// Validate checks a decoded TOML document and returns every problem found,
// each naming its key, sorted by key; nil means the document is valid.
func (s *Schema) Validate(doc map[string]any) []Issue {
	// TOML has values JSON lacks (dates, nan, inf); the schema cannot judge
	// them, so they are reported here and validation stops.
	instance, issues := toJSONValue(doc, nil)
	if len(issues) > 0 {
		return sortIssues(issues)
	}
	// JSON Schema counts 5.0 as an integer; TOML does not, and a typed
	// consumer (the scanner's structs) cannot hold it in an int. These are
	// reported with the schema's own findings (CONTRACT.md: one stage), a key
	// named once even when the schema also objects to it.
	issues = s.floatsForIntegers(doc, s.doc, nil)
	flagged := map[string]bool{}
	for _, is := range issues {
		flagged[is.Key] = true
	}
	err := s.compiled.Validate(instance)
	if err == nil && len(issues) == 0 {
		return s.orderIssues(instance)
	}
	if err != nil {
		verr, ok := err.(*jsonschema.ValidationError)
		if !ok {
			return []Issue{{Message: fmt.Sprintf("validating: %v", err)}}
		}
		for _, leaf := range leaves(verr) {
			for _, is := range s.issueFor(leaf, instance) {
				if !flagged[is.Key] {
					issues = append(issues, is)
				}
			}
		}
	}
	return sortIssues(issues)
}

// orderIssues checks the schema's x-order pairs: JSON Schema cannot compare
// two values, so every judge of the config checks these itself, once the
// rest of the schema passes. The issue names the upper key.
func (s *Schema) orderIssues(instance any) []Issue {
	rules, _ := s.doc["x-order"].([]any)
	var issues []Issue
	for _, r := range rules {
		rule, _ := r.(map[string]any)
		lowKey, _ := rule["lower"].(string)
		highKey, _ := rule["upper"].(string)
		strict, _ := rule["strict"].(bool)
		msg, _ := rule["x-error"].(string)
		low, okLow := lookup(instance, strings.Split(lowKey, "."))
		high, okHigh := lookup(instance, strings.Split(highKey, "."))
		if !okLow || !okHigh {
			continue
		}
		c, comparable := compareValues(low, high)
		if comparable && (c > 0 || (strict && c == 0)) {
			issues = append(issues, Issue{Key: highKey, Message: msg})
		}
	}
	return sortIssues(issues)
}

// compareValues orders two numbers (int64 or float64) or two strings:
// -1, 0 or 1 for a below, equal to or above b.
func compareValues(a, b any) (int, bool) {
	if as, ok := a.(string); ok {
		bs, ok := b.(string)
		if !ok {
			return 0, false
		}
		return strings.Compare(as, bs), true
	}
	af, okA := number(a)
	bf, okB := number(b)
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

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// leaves returns the innermost errors of a validation error tree: the
// outer nodes only say "allOf failed" or "then failed".
func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// issueFor turns one failed check into issues naming dotted keys. Missing and
// unknown keys are named by their own path rather than the table's, so the
// user sees exactly which key to add or remove. The value is looked up in
// the validated instance, which holds JSON types only.
func (s *Schema) issueFor(e *jsonschema.ValidationError, instance any) []Issue {
	loc := e.InstanceLocation
	value, _ := lookup(instance, loc)
	if tmpl, ok := s.xError(e.SchemaURL); ok {
		return []Issue{{Key: dotted(loc), Message: strings.ReplaceAll(tmpl, "{value}", plain(value))}}
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		out := make([]Issue, 0, len(k.Missing))
		for _, m := range k.Missing {
			out = append(out, Issue{Key: dotted(append(cloneLoc(loc), m)), Message: "required key is missing",
				Fix: "add it; schema.json gives its default"})
		}
		return out
	case *kind.AdditionalProperties:
		out := make([]Issue, 0, len(k.Properties))
		for _, p := range k.Properties {
			near := s.nearestKey(loc, p)
			out = append(out, Issue{Key: dotted(append(cloneLoc(loc), p)), Message: "unknown key" + didYouMean(near), Fix: removeOrRename(near)})
		}
		return out
	}
	return []Issue{{Key: dotted(loc), Message: describe(e.ErrorKind, value)}}
}

// xError returns the `x-error` template of the subschema a check failed in.
func (s *Schema) xError(schemaURL string) (string, bool) {
	_, frag, found := strings.Cut(schemaURL, "#")
	if !found {
		return "", false
	}
	node, ok := pointer(s.doc, frag)
	if !ok {
		return "", false
	}
	tmpl, ok := node["x-error"].(string)
	return tmpl, ok
}

// nearestKey names the known key closest to a misspelt one, or "" if none
// is close.
func (s *Schema) nearestKey(table []string, key string) string {
	node := s.doc
	for _, part := range table {
		props, _ := node["properties"].(map[string]any)
		next, ok := props[part].(map[string]any)
		if !ok {
			return ""
		}
		node = next
	}
	props, _ := node["properties"].(map[string]any)
	best, bestDist := "", len(key)/2+1
	for name := range props {
		if d := editDistance(key, name); d < bestDist || (d == bestDist && name < best) {
			best, bestDist = name, d
		}
	}
	return best
}

func didYouMean(near string) string {
	if near == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", near)
}

func removeOrRename(near string) string {
	if near == "" {
		return "remove it: unknown keys are refused so that a typo never passes silently"
	}
	return fmt.Sprintf("rename it to %q, or remove it", near)
}

// floatsForIntegers reports float values where the schema wants an integer.
func (s *Schema) floatsForIntegers(value any, node map[string]any, loc []string) []Issue {
	switch v := value.(type) {
	case map[string]any:
		props, _ := node["properties"].(map[string]any)
		var out []Issue
		for key, child := range v {
			sub, ok := props[key].(map[string]any)
			if ok {
				out = append(out, s.floatsForIntegers(child, sub, append(cloneLoc(loc), key))...)
			}
		}
		return out
	case []any:
		items, _ := node["items"].(map[string]any)
		var out []Issue
		for i, child := range v {
			if items != nil {
				out = append(out, s.floatsForIntegers(child, items, append(cloneLoc(loc), strconv.Itoa(i)))...)
			}
		}
		return out
	case float64:
		if node["type"] == "integer" {
			return []Issue{{Key: dotted(loc), Message: fmt.Sprintf("%s is not of type 'integer'", repr(v))}}
		}
	}
	return nil
}

// Defaults fills into (a typed section struct) with the schema's defaults
// for that section: settings needed before any valid config has been read
// come from the schema, never from constants in code.
func (s *Schema) Defaults(section string, into any) error {
	props, _ := s.doc["properties"].(map[string]any)
	node, ok := props[section].(map[string]any)
	if !ok {
		return fmt.Errorf("schema has no section %q", section)
	}
	raw, err := json.Marshal(defaultsOf(node))
	if err != nil {
		return fmt.Errorf("encoding defaults of %q: %w", section, err)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("decoding defaults of %q: %w", section, err)
	}
	return nil
}

// DefaultDocument is the config made of the schema's defaults alone, the
// file `invoke config.init` writes, in the types Parse gives (int64 and
// float64, not json.Number) so that any TOML encoder writes it right.
func (s *Schema) DefaultDocument() map[string]any {
	doc, _ := tomlValues(defaultsOf(s.doc)).(map[string]any)
	return doc
}

// tomlValues turns the schema's JSON numbers into TOML's: a default written
// 5.0 stays a float, 5 an integer.
func tomlValues(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, child := range v {
			out[k] = tomlValues(child)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, child := range v {
			out[i] = tomlValues(child)
		}
		return out
	case json.Number:
		if i, err := v.Int64(); err == nil && !strings.ContainsAny(v.String(), ".eE") {
			return i
		}
		if f, err := v.Float64(); err == nil {
			return f
		}
	}
	return v
}

// defaultsOf collects the `default` of every key below a schema node.
func defaultsOf(node map[string]any) any {
	props, ok := node["properties"].(map[string]any)
	if !ok {
		return node["default"]
	}
	out := make(map[string]any, len(props))
	for name, sub := range props {
		if m, ok := sub.(map[string]any); ok {
			out[name] = defaultsOf(m)
		}
	}
	return out
}

// toJSONValue copies a decoded TOML value into the shapes the validator
// understands and reports values JSON cannot hold.
func toJSONValue(value any, loc []string) (any, []Issue) {
	switch v := value.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		var issues []Issue
		for key, child := range v {
			c, is := toJSONValue(child, append(cloneLoc(loc), key))
			out[key] = c
			issues = append(issues, is...)
		}
		return out, issues
	case []any:
		out := make([]any, len(v))
		var issues []Issue
		for i, child := range v {
			c, is := toJSONValue(child, append(cloneLoc(loc), strconv.Itoa(i)))
			out[i] = c
			issues = append(issues, is...)
		}
		return out, issues
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, []Issue{{Key: dotted(loc), Message: fmt.Sprintf("%s is not a finite number", plain(v))}}
		}
		return v, nil
	case time.Time:
		return nil, []Issue{{Key: dotted(loc), Message: fmt.Sprintf("%s is a date or time, which no setting accepts", v.Format(time.RFC3339))}}
	case toml.LocalDate, toml.LocalTime, toml.LocalDateTime:
		return nil, []Issue{{Key: dotted(loc), Message: fmt.Sprintf("%v is a date or time, which no setting accepts", v)}}
	case string:
		// TOML lets escapes such as \u0000 put control characters in a
		// string; no setting wants one, and a NUL breaks file paths and
		// host names further down.
		if i := strings.IndexFunc(v, isControlRune); i >= 0 {
			r, _ := utf8.DecodeRuneInString(v[i:])
			return nil, []Issue{{Key: dotted(loc), Message: fmt.Sprintf("contains the control character U+%04X, which no setting accepts", r)}}
		}
		return v, nil
	case int64, bool:
		return v, nil
	default:
		return nil, []Issue{{Key: dotted(loc), Message: fmt.Sprintf("%v is a value no setting accepts", v)}}
	}
}

// describe words a failed check the way Python's jsonschema does, so both
// services report the same problem in the same words.
func describe(k jsonschema.ErrorKind, value any) string {
	switch k := k.(type) {
	case *kind.Minimum:
		return fmt.Sprintf("%s is less than the minimum of %s", repr(value), ratString(k.Want.FloatString(12)))
	case *kind.Maximum:
		return fmt.Sprintf("%s is greater than the maximum of %s", repr(value), ratString(k.Want.FloatString(12)))
	case *kind.ExclusiveMinimum:
		return fmt.Sprintf("%s is less than or equal to the minimum of %s", repr(value), ratString(k.Want.FloatString(12)))
	case *kind.ExclusiveMaximum:
		return fmt.Sprintf("%s is greater than or equal to the maximum of %s", repr(value), ratString(k.Want.FloatString(12)))
	case *kind.Type:
		return fmt.Sprintf("%s is not of type %s", repr(value), quotedList(k.Want, " or "))
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = repr(w)
		}
		return fmt.Sprintf("%s is not one of [%s]", repr(value), strings.Join(want, ", "))
	case *kind.Const:
		return fmt.Sprintf("%s was expected", repr(k.Want))
	case *kind.Pattern:
		return fmt.Sprintf("%s does not match %s", repr(value), repr(k.Want))
	case *kind.MinLength:
		return fmt.Sprintf("%s is shorter than %d characters", repr(value), k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("%s is longer than %d characters", repr(value), k.Want)
	case *kind.MinItems:
		return fmt.Sprintf("has %d items, fewer than the minimum of %d", k.Got, k.Want)
	case *kind.MaxItems:
		return fmt.Sprintf("has %d items, more than the maximum of %d", k.Got, k.Want)
	case *kind.UniqueItems:
		return fmt.Sprintf("has non-unique elements (items %d and %d are equal)", k.Duplicates[0], k.Duplicates[1])
	}
	return k.LocalizedString(nil)
}

// ratString trims the zero padding of big.Rat.FloatString.
func ratString(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func quotedList(items []string, sep string) string {
	q := make([]string, len(items))
	for i, it := range items {
		q[i] = "'" + it + "'"
	}
	return strings.Join(q, sep)
}

// isControlRune reports the C0 controls, DEL and the C1 controls.
func isControlRune(r rune) bool { return r < 0x20 || r >= 0x7f && r < 0xa0 }

// repr renders a value as Python's repr would, matching the orchestrator's
// messages: strings in single quotes, floats always with a fraction. It
// hands only numbers to plain, which hands only what it does not know back,
// so the two never call each other in a loop.
func repr(v any) string {
	switch v := v.(type) {
	case string:
		if strings.Contains(v, "'") && !strings.Contains(v, `"`) {
			return `"` + v + `"`
		}
		return "'" + strings.ReplaceAll(v, "'", `\'`) + "'"
	case bool:
		if v {
			return "True"
		}
		return "False"
	case nil:
		return "None"
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = repr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		return "{...}"
	case float64, int64, json.Number:
		return plain(v)
	}
	return fmt.Sprint(v)
}

// plain renders a value as Python's str would; `x-error` templates use it.
func plain(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		if math.IsNaN(v) {
			return "nan"
		}
		if math.IsInf(v, 0) {
			if v > 0 {
				return "inf"
			}
			return "-inf"
		}
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
		return s
	case json.Number:
		return v.String()
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return repr(v)
}

// lookup follows an instance location through a decoded document.
func lookup(doc any, loc []string) (any, bool) {
	cur := doc
	for _, part := range loc {
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[part]
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// pointer resolves a JSON pointer fragment ("/allOf/0/then/...") in the
// schema document to the object it names.
func pointer(doc map[string]any, frag string) (map[string]any, bool) {
	var cur any = doc
	if frag != "" {
		for _, tok := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			switch c := cur.(type) {
			case map[string]any:
				cur = c[tok]
			case []any:
				i, err := strconv.Atoi(tok)
				if err != nil || i < 0 || i >= len(c) {
					return nil, false
				}
				cur = c[i]
			default:
				return nil, false
			}
		}
	}
	obj, ok := cur.(map[string]any)
	return obj, ok
}

// dotted spells a key path as TOML does, each step bare when it can be and
// quoted otherwise: unquoted, a key named "" or "a.b" would read as no key
// or as two.
func dotted(loc []string) string {
	parts := make([]string, len(loc))
	for i, p := range loc {
		parts[i] = keyPart(p)
	}
	return strings.Join(parts, ".")
}

func keyPart(p string) string {
	bare := p != ""
	for _, r := range p {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			bare = false
			break
		}
	}
	if bare {
		return p
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range p {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func cloneLoc(loc []string) []string { return append([]string(nil), loc...) }

func sortIssues(issues []Issue) []Issue {
	sort.SliceStable(issues, func(i, j int) bool { return issues[i].Key < issues[j].Key })
	return issues
}

// editDistance is the Levenshtein distance, used to suggest a known key for
// a misspelt one.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
