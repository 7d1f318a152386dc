package main

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"traderadmin.local/configcontract"
)

// vectorsDir holds the configs every judge of a config (toolkit,
// orchestrator, scanner) must judge alike.
const vectorsDir = "../../tests/vectors"

func newParser(t testing.TB) *Parser {
	t.Helper()
	p, err := NewParser()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// names reports whether err names the dotted key: an issue about that key or
// about one below it (a list item, a key of that table).
func names(err *configcontract.ConfigError, key string) bool {
	for _, is := range err.Issues {
		if is.Key == key || strings.HasPrefix(is.Key, key+".") {
			return true
		}
	}
	return false
}

func vectors(t *testing.T, kind string) []string {
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

func TestValidVectorsLoad(t *testing.T) {
	p := newParser(t)
	for _, file := range vectors(t, "valid") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Parse(data); err != nil {
				t.Fatalf("rejected a valid config: %v", err)
			}
		})
	}
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

func TestInvalidVectorsAreRejectedNamingTheKey(t *testing.T) {
	p := newParser(t)
	for _, file := range vectors(t, "invalid") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			want := expectation(t, file)
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Parse(data)
			var cerr *configcontract.ConfigError
			if !errors.As(err, &cerr) {
				t.Fatalf("accepted an invalid config (error %v), expected one naming %s", err, want)
			}
			if want == "<syntax>" {
				if !cerr.Syntax {
					t.Fatalf("expected a TOML syntax error, got: %v", cerr)
				}
				return
			}
			if cerr.Syntax || !names(cerr, want) {
				t.Fatalf("error does not name %s: %v", want, cerr)
			}
		})
	}
}

func TestParseGivesTypedValues(t *testing.T) {
	doc := defaultDoc(t)
	doc["scanner"].(map[string]any)["interval_s"] = 15 // an integer where a number is wanted is fine
	doc["scanner"].(map[string]any)["universe"] = []string{"SPY", "BRK.B"}
	doc["strategies"].(map[string]any)["high_base"].(map[string]any)["min_rsi"] = 55.5
	cfg, err := newParser(t).Parse(encode(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Scanner.IntervalS != 15 || cfg.Scanner.Workers != 4 || len(cfg.Scanner.Universe) != 2 ||
		cfg.Strategies.HighBase.MinRSI != 55.5 || cfg.Trading.Mode != "PAPER" || cfg.Reload.DebounceMS != 50 {
		t.Fatalf("typed config does not hold the file's values: %+v", cfg)
	}
}

func TestSchemaDefaultsFillTypedSections(t *testing.T) {
	var r Reload
	if err := newParser(t).schema.Defaults("reload", &r); err != nil {
		t.Fatal(err)
	}
	if r.DebounceMS != 50 || r.PollIntervalS != 5 {
		t.Fatalf("reload defaults = %+v", r)
	}
}
