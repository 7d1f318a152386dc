package configcontract

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
)

// Parse turns config bytes into a TOML document, refusing what the contract
// refuses before any schema is asked: more than MaxBytes, bytes that are not
// UTF-8 or start with a byte-order mark, anything outside TOML 1.0, and
// nesting deeper than MaxDepth. The error is a *ConfigError with Syntax set.
//
// Values keep go-toml's types: int64, float64, string, bool, []any,
// map[string]any and its date and time types.
func Parse(data []byte) (map[string]any, error) {
	if len(data) > MaxBytes {
		return nil, refusal("config is " + tooLarge(int64(len(data))))
	}
	if err := checkUTF8(data); err != nil {
		return nil, err
	}
	if err := checkTOML10(string(data)); err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return nil, tomlError(err)
	}
	// checkTOML10 counted the depth it could see; an array of tables adds
	// a level its later [a.b] headers do not show, so count the result too.
	if tooDeep(doc, 0) {
		return nil, refusal(fmt.Sprintf(
			"invalid TOML: tables and arrays nest more than %d levels deep, the limit for a config", MaxDepth))
	}
	return doc, nil
}

// checkUTF8 refuses bytes that are not UTF-8, naming the first bad byte as
// the orchestrator does.
func checkUTF8(data []byte) *ConfigError {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return refusal(fmt.Sprintf("invalid TOML: not UTF-8 text (byte %d)", i))
		}
		i += size
	}
	return nil
}

// tomlError reports go-toml's refusal with its position.
func tomlError(err error) *ConfigError {
	var derr *toml.DecodeError
	if errors.As(err, &derr) {
		line, col := derr.Position()
		return syntaxError(line, col, strings.TrimPrefix(derr.Error(), "toml: "))
	}
	return refusal(fmt.Sprintf("invalid TOML: %v", err))
}

// tooDeep reports a value more than MaxDepth keys and array steps below the
// top; it stops descending there, so it is cheap on any input.
func tooDeep(v any, depth int) bool {
	if depth > MaxDepth {
		return true
	}
	switch v := v.(type) {
	case map[string]any:
		for _, child := range v {
			if tooDeep(child, depth+1) {
				return true
			}
		}
	case []any:
		for _, child := range v {
			if tooDeep(child, depth+1) {
				return true
			}
		}
	}
	return false
}
