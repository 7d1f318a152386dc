package main

import (
	"bufio"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
func names(err *ConfigError, key string) bool {
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
	key, ok := strings.CutPrefix(strings.TrimSpace(line), "# expect:")
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
			var cerr *ConfigError
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

func TestErrorMessages(t *testing.T) {
	p := newParser(t)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"below minimum", withValue(t, "trading", "max_positions", 0),
			"trading.max_positions: 0 is less than the minimum of 1"},
		{"above maximum of a number", withValue(t, "trading", "risk_per_trade_pct", 12.5),
			"trading.risk_per_trade_pct: 12.5 is greater than the maximum of 10"},
		{"float where an integer is wanted", withValue(t, "trading", "max_positions", 5.0),
			"trading.max_positions: 5.0 is not of type 'integer'"},
		{"wrong type", withValue(t, "ibkr", "read_only", "yes"),
			"ibkr.read_only: 'yes' is not of type 'boolean'"},
		{"enum", withValue(t, "trading", "mode", "paper"),
			"trading.mode: 'paper' is not one of ['PAPER', 'LIVE']"},
		{"unknown key with a suggestion", withValue(t, "trading", "max_postions", 5),
			`trading.max_postions: unknown key (did you mean "max_positions"?)`},
		{"x-error with the value substituted", withValue(t, "ibkr", "port", 4001),
			"ibkr.port: port 4001 is a LIVE port (TWS 7496, IB Gateway 4001) but trading.mode is PAPER: use 7497 (TWS) or 4002 (IB Gateway), or switch trading.mode to LIVE"},
		{"list item", withValue(t, "scanner", "universe", []string{"SPY", "brk.b"}),
			"scanner.universe.1: 'brk.b' does not match '^[A-Z][A-Z0-9.]{0,9}$'"},
		{"not a finite number", withValue(t, "scanner", "interval_s", math.Inf(1)),
			"scanner.interval_s: inf is not a finite number"},
		{"a date", withValue(t, "schedule", "market_open", time.Date(2025, 1, 2, 9, 30, 0, 0, time.UTC)),
			"schedule.market_open: 2025-01-02T09:30:00Z is a date or time, which no setting accepts"},
		{"syntax", []byte("[trading]\nmode = \n"),
			"invalid TOML at line 2, column 8: expected value but found '\\n' instead"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := p.Parse(c.data)
			if err == nil {
				t.Fatal("accepted")
			}
			if err.Error() != c.want {
				t.Fatalf("got  %s\nwant %s", err, c.want)
			}
		})
	}
}

func TestMissingKeysAreNamedOneByOne(t *testing.T) {
	doc := defaultDoc(t)
	delete(doc["scanner"].(map[string]any), "workers")
	delete(doc, "logging")
	_, err := newParser(t).Parse(encode(t, doc))
	want := "logging: required key is missing; scanner.workers: required key is missing"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
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
	s, err := loadSchema()
	if err != nil {
		t.Fatal(err)
	}
	var r Reload
	if err := s.Defaults("reload", &r); err != nil {
		t.Fatal(err)
	}
	if r.DebounceMS != 50 || r.PollIntervalS != 5 {
		t.Fatalf("reload defaults = %+v", r)
	}
	if err := s.Defaults("nonexistent", &r); err == nil {
		t.Fatal("no error for a section the schema lacks")
	}
}

func TestCompareValues(t *testing.T) {
	tests := []struct {
		a, b     any
		want     int
		wantComp bool
	}{
		{"09:30", "16:00", -1, true},
		{"16:00", "09:30", 1, true},
		{int64(7), int64(7), 0, true},
		{int64(2), 1.5, 1, true},
		{1.5, int64(2), -1, true},
		{"7", int64(7), 0, false},
		{true, false, 0, false},
	}
	for _, tc := range tests {
		got, ok := compareValues(tc.a, tc.b)
		if got != tc.want || ok != tc.wantComp {
			t.Errorf("compareValues(%v, %v) = %d, %v; want %d, %v", tc.a, tc.b, got, ok, tc.want, tc.wantComp)
		}
	}
}
