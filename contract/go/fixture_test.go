package configcontract

import (
	"errors"
	"os"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// The module's tests judge with the repository's schema and its shared
// vectors, found by relative path: they are the contract this module
// implements, not copies of it.
const (
	schemaPath = "../../config/schema.json"
	vectorsDir = "../../tests/vectors"
)

func newSchema(t testing.TB) *Schema {
	t.Helper()
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	s, err := CompileSchema(data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// judgeErr judges data and fails the test unless it is refused.
func judgeErr(t *testing.T, data []byte) *ConfigError {
	t.Helper()
	_, err := newSchema(t).Judge(data)
	var cerr *ConfigError
	if !errors.As(err, &cerr) {
		t.Fatalf("accepted (error %v)", err)
	}
	return cerr
}

// defaultDoc builds a full config from the schema's defaults, so tests start
// from a valid config without depending on the shared vectors.
func defaultDoc(t testing.TB) map[string]any {
	t.Helper()
	doc := newSchema(t).DefaultDocument()
	if doc == nil {
		t.Fatal("schema top level has no properties")
	}
	return doc
}

// encode renders a config document as TOML.
func encode(t testing.TB, doc map[string]any) []byte {
	t.Helper()
	data, err := toml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// withValue returns a default config with one key changed.
func withValue(t testing.TB, table, key string, value any) []byte {
	t.Helper()
	doc := defaultDoc(t)
	doc[table].(map[string]any)[key] = value
	return encode(t, doc)
}
