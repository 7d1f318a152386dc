package console

import (
	"fmt"
	"strings"

	"traderadmin.local/configcontract"
)

// View is the read-only view of one config file, as cmd/configview prints
// it: its identity, the contract's problems, and every setting of the
// schema as text, grouped by top-level section.
type View struct {
	Title      string        `json:"title"`
	ConfigPath string        `json:"configPath"`
	SchemaPath string        `json:"schemaPath"`
	SHA256     string        `json:"sha256"`
	Valid      bool          `json:"valid"`
	Problems   []ViewProblem `json:"problems"`
	Sections   []ViewSection `json:"sections"`
}

// ViewProblem is one of the contract's issues as it gave it (the form's
// Problem adds fixes and values; the view does not).
type ViewProblem struct {
	// Path is the dotted key the problem is about ("trading.max_positions").
	Path    string `json:"path"`
	Message string `json:"message"`
	// Fix says what to change, when the contract knows; often empty.
	Fix string `json:"fix"`
}

// ViewSection is one top-level table of config.toml.
type ViewSection struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Fields      []ViewField `json:"fields"`
}

// ViewField is one setting. Key is relative to its section, nested tables
// as dotted keys ("reconnect.max_delay_s"), so a section is one flat list;
// Path is the full dotted key.
type ViewField struct {
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

// View reads both files and builds the view. A config that breaks the
// schema still gives a view (Valid false, with its Problems), because the
// person needs to see what is wrong; an error means a file could not be
// read or is not TOML the contract accepts at all.
func (c *Config) View() (*View, error) {
	schema, judge, err := c.loadSchema()
	if err != nil {
		return nil, err
	}
	data, err := c.readConfig()
	if err != nil {
		return nil, err
	}
	doc, err := configcontract.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("parsing the config %s: %w", c.files.Config, err)
	}
	problems := viewProblems(judge.Validate(doc))
	view := &View{
		Title:      schema.Title,
		ConfigPath: c.files.Config,
		SchemaPath: c.files.Schema,
		SHA256:     configcontract.Hash(data),
		Valid:      len(problems) == 0,
		Problems:   problems,
		Sections:   make([]ViewSection, 0, len(schema.Properties)),
	}
	groups := schema.sections()
	for i, p := range schema.Properties {
		sec := ViewSection{Name: p.name, Description: p.node.Description, Fields: []ViewField{}}
		for _, l := range groups[i] {
			sec.Fields = append(sec.Fields, viewField(l, doc))
		}
		view.Sections = append(view.Sections, sec)
	}
	return view, nil
}

// viewProblems turns the contract's issues into the view's problems; never
// nil, so the front end always gets a list.
func viewProblems(issues []configcontract.Issue) []ViewProblem {
	out := make([]ViewProblem, 0, len(issues))
	for _, is := range issues {
		out = append(out, ViewProblem{Path: is.Key, Message: is.Message, Fix: is.Fix})
	}
	return out
}

func viewField(l leaf, doc map[string]any) ViewField {
	n := l.node
	f := ViewField{
		Key:         strings.TrimPrefix(l.key, l.section+"."),
		Path:        l.key,
		Type:        n.Type,
		Unit:        n.Unit,
		Description: n.Description,
		Choices:     enumStrings(n.Enum),
		Range:       formatRange(n.Minimum, n.Maximum),
	}
	def := jsonValue(n.Default)
	if i, ok := def.(int64); ok && n.Type == "number" {
		def = float64(i) // a number's default reads as one: 2.0, not 2
	}
	if def != nil {
		f.Default = display(def)
	}
	if v, ok := lookup(doc, l.key); ok {
		f.Set, f.Value = true, display(v)
		f.IsDefault = def != nil && sameValue(v, def)
	}
	return f
}

// sameValue compares a TOML value with a default by value: numbers whatever
// their type (TOML 5.0 equals a schema default of 5), lists item by item.
func sameValue(a, b any) bool {
	if x, ok := toFloat(a); ok {
		y, ok := toFloat(b)
		return ok && x == y
	}
	if equal, isList := sameItems(a, b, sameValue); isList {
		return equal
	}
	return a == b
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func formatRange(lo, hi *float64) string {
	switch {
	case lo != nil && hi != nil:
		return formatNumber(*lo) + " … " + formatNumber(*hi)
	case lo != nil:
		return "≥ " + formatNumber(*lo)
	case hi != nil:
		return "≤ " + formatNumber(*hi)
	}
	return ""
}
