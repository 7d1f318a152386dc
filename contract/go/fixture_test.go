package configcontract

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
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

// names reports whether err names the dotted key: an issue about that key or
// about one below it (a list item, a key of that table).
func names(err *ConfigError, key string) bool {
	for _, is := range err.Issues {
		if is.Key == key || strings.HasPrefix(is.Key, key+".") {
			return true
		}
	}
	return false
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

func vectors(t testing.TB, kind string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(vectorsDir, kind, "*.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no test vectors in %s: the shared vectors must be present", filepath.Join(vectorsDir, kind))
	}
	return files
}

// expectation reads the `# expect: <key>` first line of an invalid vector.
func expectation(t *testing.T, file string) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && line == "" {
		t.Fatalf("reading the first line: %v", err)
	}
	// A vector may start with a byte-order mark: it is what that vector tests.
	key, ok := strings.CutPrefix(strings.TrimSpace(strings.TrimPrefix(line, "\uFEFF")), "# expect:")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		t.Fatalf("first line %q is not `# expect: <dotted.key>` or `# expect: <syntax>`", strings.TrimSpace(line))
	}
	return key
}
