package configcontract

import (
	"fmt"
	"strings"
)

// Issue is one problem found in a config file. Key is the dotted path of the
// setting at fault ("trading.max_positions"); it is empty for problems that
// belong to no key, such as TOML syntax errors. Fix, when known, says what
// to change; it is kept apart from Message because every judge words
// Message alike and the judges are compared on it.
type Issue struct {
	Key     string
	Message string
	Fix     string
}

func (i Issue) String() string {
	if i.Key == "" {
		return i.Message
	}
	return i.Key + ": " + i.Message
}

// ConfigError is why a config file was refused: either it is not TOML 1.0
// within the contract's limits (Syntax, naming no key) or its content breaks
// the schema (Issues, each naming its key).
type ConfigError struct {
	Syntax bool
	Issues []Issue
}

func (e *ConfigError) Error() string {
	parts := make([]string, len(e.Issues))
	for i, is := range e.Issues {
		parts[i] = is.String()
	}
	return strings.Join(parts, "; ")
}

// Names reports whether the error names the dotted key: an issue about that
// key or about one below it (a list item, a key of that table).
func (e *ConfigError) Names(key string) bool {
	for _, is := range e.Issues {
		if is.Key == key || strings.HasPrefix(is.Key, key+".") {
			return true
		}
	}
	return false
}

// syntaxError reports TOML that does not parse, with where it broke.
func syntaxError(line, col int, msg string) *ConfigError {
	return &ConfigError{Syntax: true, Issues: []Issue{{
		Message: fmt.Sprintf("invalid TOML at line %d, column %d: %s", line, col, msg),
	}}}
}

// refusal reports a file refused as a whole, naming no key.
func refusal(msg string) *ConfigError {
	return &ConfigError{Syntax: true, Issues: []Issue{{Message: msg}}}
}
