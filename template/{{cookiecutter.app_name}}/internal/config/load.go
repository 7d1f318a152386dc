// Package config reads the trading stack's config.toml and the schema.json
// that describes it, checks one against the other, and turns both into the
// read-only view the desktop app shows. It needs neither cgo nor a display,
// so `go test` covers it anywhere.
package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/BurntSushi/toml"
)

// Load reads both files and builds the view. A config that breaks the
// schema still gives a view (with Valid false and its Problems), because
// the person needs to see what is wrong; an error means a file could not be
// read or parsed at all.
func Load(paths Paths) (*View, error) {
	schemaJSON, err := os.ReadFile(paths.Schema)
	if err != nil {
		return nil, fmt.Errorf("reading the schema %s: %w", paths.Schema, err)
	}
	schema, err := ParseSchema(schemaJSON)
	if err != nil {
		return nil, fmt.Errorf("reading the schema %s: %w", paths.Schema, err)
	}
	check, err := newValidator(schemaJSON)
	if err != nil {
		return nil, fmt.Errorf("compiling the schema %s: %w", paths.Schema, err)
	}

	data, err := os.ReadFile(paths.Config)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist: create it from the schema with `invoke config.init` in the TraderAdmin repository", paths.Config)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the config %s: %w", paths.Config, err)
	}
	doc := map[string]any{}
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return nil, fmt.Errorf("parsing the config %s: %w", paths.Config, err)
	}
	plain, _ := plainValues(doc).(map[string]any)

	sum := sha256.Sum256(data)
	problems := check.problems(plain, strictProblems(schema, doc))
	return &View{
		Title:      schema.Title,
		ConfigPath: paths.Config,
		SchemaPath: paths.Schema,
		SHA256:     hex.EncodeToString(sum[:]),
		Valid:      len(problems) == 0,
		Problems:   append([]Problem{}, problems...),
		Sections:   buildSections(schema, doc),
	}, nil
}
