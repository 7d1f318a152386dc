// Package vectors reads the shared config vectors (tests/vectors in the
// TraderAdmin repository) and checks a judge's verdict against what each one
// expects, so every Go judge (the contract's, the scanner's, a user's own) is
// held to them by the same few lines.
//
// A valid vector must be accepted. An invalid one starts with
// `# expect: <dotted.key>` (the refusal must name that key or one below it)
// or `# expect: <syntax>` (the refusal must be a syntax error).
package vectors

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"traderadmin.local/configcontract"
)

// Syntax is the expectation of a vector that is not valid TOML 1.0 at all.
const Syntax = "<syntax>"

// Vector is one shared config and what a judge must say of it.
type Vector struct {
	Name   string
	Data   []byte
	Valid  bool
	Expect string // for an invalid vector: a dotted key, or Syntax
}

// Load reads dir/valid/*.toml and dir/invalid/*.toml; a folder without
// vectors is an error, so a moved folder cannot make a test pass vacuously.
func Load(dir string) ([]Vector, error) {
	var out []Vector
	for _, kind := range []string{"valid", "invalid"} {
		files, err := filepath.Glob(filepath.Join(dir, kind, "*.toml"))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("no config vectors in %s: the shared vectors must be present", filepath.Join(dir, kind))
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				return nil, err
			}
			v := Vector{Name: kind + "/" + filepath.Base(file), Data: data, Valid: kind == "valid"}
			if !v.Valid {
				if v.Expect, err = expectation(data); err != nil {
					return nil, fmt.Errorf("%s: %w", file, err)
				}
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// expectation reads the `# expect: <key>` first line of an invalid vector.
func expectation(data []byte) (string, error) {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	// A vector may start with a byte-order mark: it is what that vector tests.
	text := strings.TrimSpace(strings.TrimPrefix(string(line), "\uFEFF"))
	key, ok := strings.CutPrefix(text, "# expect:")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return "", fmt.Errorf("first line %q is not `# expect: <dotted.key>` or `# expect: %s`", text, Syntax)
	}
	return key, nil
}

// Check says how a judge's error for v misses what v expects; nil when it
// is right.
func (v Vector) Check(err error) error {
	if v.Valid {
		if err != nil {
			return fmt.Errorf("refused a valid config: %w", err)
		}
		return nil
	}
	var cerr *configcontract.ConfigError
	if !errors.As(err, &cerr) {
		return fmt.Errorf("accepted an invalid config (error %v), expected one naming %s", err, v.Expect)
	}
	if v.Expect == Syntax {
		if !cerr.Syntax {
			return fmt.Errorf("expected a TOML syntax error, got: %w", cerr)
		}
		return nil
	}
	if cerr.Syntax || !cerr.Names(v.Expect) {
		return fmt.Errorf("error does not name %s: %w", v.Expect, cerr)
	}
	return nil
}
