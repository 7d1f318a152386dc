package console

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"traderadmin.local/configcontract"

	"traderadmin.local/console/tomledit"
)

// coerce turns what the front end sent for key (JSON: a number, a string,
// a bool, a list; or the text a person typed) into the schema's type. A
// value of the wrong kind is a Problem naming the key, the value and what
// the key accepts; the range, pattern and the rest are the contract's.
func coerce(schema *node, key string, raw any) (any, *Problem) {
	n := schema.field(key)
	if n == nil {
		if isTable(schema, key) {
			return nil, &Problem{Key: key, Value: display(raw), Message: "is a table, not a value", Fix: "set one of its keys"}
		}
		return nil, &Problem{Key: key, Value: display(raw), Message: "is not a setting of the schema", Fix: "use a key the form shows"}
	}
	bad := func(msg string) *Problem {
		return &Problem{Key: key, Value: display(raw), Message: msg, Fix: "use " + n.allowed()}
	}
	if n.kind() == "array" {
		var items []any
		switch x := raw.(type) {
		case []any:
			items = x
		case []string:
			for _, s := range x {
				items = append(items, s)
			}
		case string:
			for _, part := range strings.Split(x, ",") {
				if part = strings.TrimSpace(part); part != "" {
					items = append(items, part)
				}
			}
		default:
			return nil, bad(fmt.Sprintf("%s is not a list", display(raw)))
		}
		item := &node{Type: "string"}
		if n.Items != nil {
			item = n.Items
		}
		out := make([]any, 0, len(items))
		for i, it := range items {
			v, err := scalar(item.Type, it)
			if err != nil {
				return nil, bad(fmt.Sprintf("item %d: %v", i+1, err))
			}
			out = append(out, v)
		}
		return out, nil
	}
	v, err := scalar(n.Type, raw)
	if err != nil {
		return nil, bad(err.Error())
	}
	return v, nil
}

func isTable(schema *node, key string) bool {
	n := schema.at(key)
	return n != nil && n.Type == "object"
}

// scalar converts one value to a JSON Schema type's Go form.
func scalar(typ string, raw any) (any, error) {
	switch typ {
	case "integer":
		switch x := raw.(type) {
		case float64:
			if x != math.Trunc(x) || math.IsInf(x, 0) || math.Abs(x) > 1<<62 {
				return nil, fmt.Errorf("%s is not a whole number", display(raw))
			}
			return int64(x), nil
		case int64:
			return x, nil
		case int:
			return int64(x), nil
		case string:
			i, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(x), "_", ""), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not a whole number", x)
			}
			return i, nil
		}
		return nil, fmt.Errorf("%s is not a whole number", display(raw))
	case "number":
		switch x := raw.(type) {
		case float64:
			return x, nil
		case int64:
			return float64(x), nil
		case int:
			return float64(x), nil
		case string:
			f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(x), "_", ""), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("%q is not a number", x)
			}
			return f, nil
		}
		return nil, fmt.Errorf("%s is not a number", display(raw))
	case "boolean":
		switch x := raw.(type) {
		case bool:
			return x, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "true", "yes", "on":
				return true, nil
			case "false", "no", "off":
				return false, nil
			}
		}
		return nil, fmt.Errorf("%s is not true or false", display(raw))
	}
	if s, ok := raw.(string); ok {
		return s, nil
	}
	return nil, fmt.Errorf("%s is not a text", display(raw))
}

// problemsOf turns the contract's refusal into problems with a fix each:
// the contract's own, else the x-order pair's, else what the key accepts.
func problemsOf(err error, schema *node, doc map[string]any) []Problem {
	var ce *configcontract.ConfigError
	if !errors.As(err, &ce) {
		if err == nil {
			return []Problem{}
		}
		return []Problem{{Message: err.Error()}}
	}
	out := make([]Problem, 0, len(ce.Issues))
	for _, is := range ce.Issues {
		p := Problem{Key: is.Key, Message: is.Message, Fix: is.Fix}
		if v, ok := lookup(doc, is.Key); ok {
			p.Value = display(v)
		}
		if ce.Syntax && p.Fix == "" {
			p.Fix = "fix config.toml by hand, or restore a backup"
		}
		if p.Fix == "" {
			for _, r := range schema.Order {
				if r.Upper == is.Key {
					low, _ := lookup(doc, r.Lower)
					rel := "at least"
					if r.Strict {
						rel = "above"
					}
					p.Fix = fmt.Sprintf("make it %s %s (now %s), or lower %s", rel, r.Lower, display(low), r.Lower)
				}
			}
		}
		// An array item ("scanner.universe.0") is shown on its list's field.
		if key, index, ok := itemOf(is.Key); ok && schema.field(key) != nil {
			p.Key, p.Message = key, fmt.Sprintf("item %d: %s", index+1, p.Message)
		}
		if p.Fix == "" {
			if n := schema.field(p.Key); n != nil {
				p.Fix = "use " + n.allowed()
			}
		}
		out = append(out, p)
	}
	return out
}

// itemOf splits "scanner.universe.0" into the list's key and the index.
func itemOf(key string) (string, int, bool) {
	i := strings.LastIndex(key, ".")
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(key[i+1:])
	if err != nil {
		return "", 0, false
	}
	return key[:i], n, true
}

// lookup follows a dotted key through a decoded document.
func lookup(doc map[string]any, key string) (any, bool) {
	if doc == nil {
		return nil, false
	}
	var cur any = doc
	for _, part := range strings.Split(key, ".") {
		switch x := cur.(type) {
		case map[string]any:
			next, ok := x[part]
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			cur = x[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

func flatten(doc map[string]any, prefix string) map[string]any {
	out := map[string]any{}
	for k, v := range doc {
		if m, ok := v.(map[string]any); ok {
			for kk, vv := range flatten(m, prefix+k+".") {
				out[kk] = vv
			}
			continue
		}
		out[prefix+k] = v
	}
	return out
}

// same compares values and their TOML types (an int is not a float).
func same(a, b any) bool {
	if equal, isList := sameItems(a, b, same); isList {
		return equal
	}
	switch a.(type) {
	case int64, float64, string, bool, nil:
		return a == b
	}
	return fmt.Sprint(a) == fmt.Sprint(b) && fmt.Sprintf("%T", a) == fmt.Sprintf("%T", b)
}

// sameItems compares a and b as lists, item by item with eq; isList is
// false when neither is a list (a list never equals a non-list).
func sameItems(a, b any, eq func(x, y any) bool) (equal, isList bool) {
	xs, aList := a.([]any)
	ys, bList := b.([]any)
	if !aList && !bList {
		return false, false
	}
	if !aList || !bList || len(xs) != len(ys) {
		return false, true
	}
	for i := range xs {
		if !eq(xs[i], ys[i]) {
			return false, true
		}
	}
	return true, true
}

// display renders a value the way a person would type it.
func display(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return tomledit.FormatFloat(x)
	case []any:
		parts := make([]string, len(x))
		for i, it := range x {
			parts[i] = display(it)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

func modeOf(doc map[string]any) string {
	v, _ := lookup(doc, liveKey)
	s, _ := v.(string)
	return s
}

// title names a tab: the schema's title, else the section's name in words.
func title(name string, n *node) string {
	if n.Title != "" {
		return n.Title
	}
	if a, ok := acronyms[name]; ok {
		return a
	}
	return humanize(name)
}

var acronyms = map[string]string{"ibkr": "IBKR"}

// unitSuffixes end key names whose unit the form shows apart.
var unitSuffixes = []string{"_s", "_ms", "_pct", "_bps", "_min", "_days", "_per_min"}

// label names a field: its key's last part in words, without the unit the
// form shows beside it, prefixed by nested tables ("Reconnect: max delay").
func label(key string, n *node) string {
	parts := strings.Split(key, ".")[1:]
	last := parts[len(parts)-1]
	if n.Unit != "" {
		for _, s := range unitSuffixes {
			if strings.HasSuffix(last, s) && len(last) > len(s) {
				last = strings.TrimSuffix(last, s)
				break
			}
		}
	}
	out := humanize(last)
	if len(parts) > 1 {
		prefix := make([]string, len(parts)-1)
		for i, p := range parts[:len(parts)-1] {
			prefix[i] = humanize(p)
		}
		out = strings.Join(prefix, " ") + ": " + strings.ToLower(out[:1]) + out[1:]
	}
	return out
}

func humanize(s string) string {
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
