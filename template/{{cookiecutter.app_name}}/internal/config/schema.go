package config

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Schema is the part of a JSON Schema node that the view shows. Validation
// uses the full document through a real JSON Schema validator; this struct
// only carries what a person reads next to a value.
type Schema struct {
	Type        string     `json:"type"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Unit        string     `json:"x-unit"`
	Default     any        `json:"default"`
	Enum        []any      `json:"enum"`
	Minimum     *float64   `json:"minimum"`
	Maximum     *float64   `json:"maximum"`
	Properties  Properties `json:"properties"`
}

// Property is one named child of an object schema.
type Property struct {
	Name   string
	Schema *Schema
}

// Properties keeps the schema's key order: the order in schema.json is the
// order the authors chose to present the settings in, and a Go map would
// shuffle it on every start.
type Properties []Property

// UnmarshalJSON reads a JSON object token by token to keep its key order.
func (p *Properties) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return fmt.Errorf("properties must be an object, got %v", tok)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		var child Schema
		if err := dec.Decode(&child); err != nil {
			return fmt.Errorf("property %q: %w", name, err)
		}
		*p = append(*p, Property{Name: name, Schema: &child})
	}
	_, err = dec.Token()
	return err
}

// ParseSchema decodes the presentation part of a schema document.
func ParseSchema(data []byte) (*Schema, error) {
	// Numbers stay json.Number so a default keeps the form it was written
	// in: 5 for an integer, 1.0 for a float.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var s Schema
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	if s.Type != "object" || len(s.Properties) == 0 {
		return nil, fmt.Errorf("the root must be an object schema with properties (one per config section)")
	}
	return &s, nil
}
