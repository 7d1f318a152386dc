// Package config finds the trading stack's config.toml and the schema.json
// that describes it and turns both into the read-only view the desktop app
// shows. Reading and judging the config is the config contract's
// (traderadmin.local/configcontract, the same Go judge the scanner runs), so
// the app refuses and flags exactly what the services do. It needs neither
// cgo nor a display, so `go test` covers it anywhere.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"traderadmin.local/configcontract"
)

// Problem is one reason a config breaks the contract, as the view shows it.
type Problem struct {
	// Path is the dotted key the problem is about ("trading.max_positions").
	Path    string `json:"path"`
	Message string `json:"message"`
	// Fix says what to change, when the contract knows; often empty.
	Fix string `json:"fix"`
}

// Load reads both files and builds the view. A config that breaks the
// schema still gives a view (with Valid false and its Problems), because
// the person needs to see what is wrong; an error means a file could not be
// read or is not TOML the contract accepts at all.
func Load(paths Paths) (*View, error) {
	schemaJSON, err := os.ReadFile(paths.Schema)
	if err != nil {
		return nil, fmt.Errorf("reading the schema %s: %w", paths.Schema, err)
	}
	schema, err := ParseSchema(schemaJSON)
	if err != nil {
		return nil, fmt.Errorf("reading the schema %s: %w", paths.Schema, err)
	}
	judge, err := configcontract.CompileSchema(schemaJSON)
	if err != nil {
		return nil, fmt.Errorf("reading the schema %s: %w", paths.Schema, err)
	}

	data, err := configcontract.ReadFile(paths.Config)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist: create it from the schema with `invoke config.init` in the TraderAdmin repository", paths.Config)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the config: %w", err)
	}
	doc, err := configcontract.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("parsing the config %s: %w", paths.Config, err)
	}

	problems := problemsOf(judge.Validate(doc))
	return &View{
		Title:      schema.Title,
		ConfigPath: paths.Config,
		SchemaPath: paths.Schema,
		SHA256:     configcontract.Hash(data),
		Valid:      len(problems) == 0,
		Problems:   problems,
		Sections:   buildSections(schema, doc),
	}, nil
}

// problemsOf turns the contract's issues into the view's problems; never
// nil, so the front end always gets a list.
func problemsOf(issues []configcontract.Issue) []Problem {
	out := make([]Problem, 0, len(issues))
	for _, is := range issues {
		out = append(out, Problem{Path: is.Key, Message: is.Message, Fix: is.Fix})
	}
	return out
}
