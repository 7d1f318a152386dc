package tomledit

import (
	"errors"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

const sample = `#:schema ./schema.json
# Top comment.

[ibkr]
# Host running TWS.
host = "localhost"   # where TWS runs
# port = 1 in a comment is not the key
port = 7497
read_only = false
connect_timeout_s = 10.0
name = 'literal'
reconnect = { enabled = true, max_delay_s = 60.0 }

[trading]
mode = "PAPER" # PAPER or LIVE
sub.depth = 3

[scanner]
universe = ["SPY", "QQQ"]
days = [
    "MON",
    "TUE",
]
interval_s = 60.0
`

func TestApplyChangesOnlyTheEditedValues(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		edits []Edit
		// want is in with each old -> new replaced once, in order.
		replace [][2]string
	}{
		{"int keeps the trailing comment", sample, []Edit{{"ibkr.port", int64(7496)}},
			[][2]string{{"port = 7497\n", "port = 7496\n"}}},
		{"float is written as a float", sample, []Edit{{"scanner.interval_s", float64(30)}},
			[][2]string{{"interval_s = 60.0", "interval_s = 30.0"}}},
		{"bool", sample, []Edit{{"ibkr.read_only", true}},
			[][2]string{{"read_only = false", "read_only = true"}}},
		{"string keeps its trailing comment and spacing", sample, []Edit{{"ibkr.host", "host.docker.internal"}},
			[][2]string{{`host = "localhost"   # where TWS runs`, `host = "host.docker.internal"   # where TWS runs`}}},
		{"a literal string stays literal", sample, []Edit{{"ibkr.name", "other"}},
			[][2]string{{"name = 'literal'", "name = 'other'"}}},
		{"a literal string that needs escapes becomes basic", sample, []Edit{{"ibkr.name", `it's "q"`}},
			[][2]string{{"name = 'literal'", `name = "it's \"q\""`}}},
		{"enum", sample, []Edit{{"trading.mode", "LIVE"}},
			[][2]string{{`mode = "PAPER" # PAPER or LIVE`, `mode = "LIVE" # PAPER or LIVE`}}},
		{"array on one line", sample, []Edit{{"scanner.universe", []any{"IWM", "SPY", "DIA"}}},
			[][2]string{{`universe = ["SPY", "QQQ"]`, `universe = ["IWM", "SPY", "DIA"]`}}},
		{"array on several lines keeps one item per line", sample, []Edit{{"scanner.days", []any{"FRI"}}},
			[][2]string{{"days = [\n    \"MON\",\n    \"TUE\",\n]", "days = [\n    \"FRI\",\n]"}}},
		{"a value in an inline table", sample, []Edit{{"ibkr.reconnect.max_delay_s", float64(90)}},
			[][2]string{{"max_delay_s = 60.0 }", "max_delay_s = 90.0 }"}}},
		{"a dotted key", sample, []Edit{{"trading.sub.depth", int64(4)}},
			[][2]string{{"sub.depth = 3", "sub.depth = 4"}}},
		{"several edits at once", sample, []Edit{{"scanner.interval_s", 5.5}, {"ibkr.port", int64(4002)}, {"trading.mode", "LIVE"}},
			[][2]string{{"port = 7497", "port = 4002"}, {`mode = "PAPER"`, `mode = "LIVE"`}, {"interval_s = 60.0", "interval_s = 5.5"}}},
		{"the same value changes nothing", sample, []Edit{{"ibkr.port", int64(7497)}, {"ibkr.connect_timeout_s", 10.0}}, nil},
		{"a missing key goes after the last line of its table", sample, []Edit{{"trading.max_positions", int64(6)}},
			[][2]string{{"sub.depth = 3\n", "sub.depth = 3\nmax_positions = 6\n"}}},
		{"two missing keys keep their order", sample, []Edit{{"trading.a", int64(1)}, {"trading.b", int64(2)}},
			[][2]string{{"sub.depth = 3\n", "sub.depth = 3\na = 1\nb = 2\n"}}},
		{"a missing table is appended", sample, []Edit{{"logging.level", "INFO"}},
			[][2]string{{"interval_s = 60.0\n", "interval_s = 60.0\n\n[logging]\nlevel = \"INFO\"\n"}}},
		{"CRLF lines stay CRLF", strings.ReplaceAll(sample, "\n", "\r\n"),
			[]Edit{{"ibkr.port", int64(4002)}, {"trading.max_positions", int64(6)}},
			[][2]string{{"port = 7497\r\n", "port = 4002\r\n"}, {"sub.depth = 3\r\n", "sub.depth = 3\r\nmax_positions = 6\r\n"}}},
		{"no newline at the end of the file", "[a]\nx = 1", []Edit{{"a.x", int64(2)}}, [][2]string{{"x = 1", "x = 2"}}},
		{"control characters are escaped", sample, []Edit{{"ibkr.host", "a\tb\u0001"}},
			[][2]string{{`host = "localhost"`, `host = "a\tb\u0001"`}}},
		{"large and small floats", sample, []Edit{{"scanner.interval_s", 1e-7}, {"ibkr.connect_timeout_s", 1e20}},
			[][2]string{{"connect_timeout_s = 10.0", "connect_timeout_s = 1.0e20"}, {"interval_s = 60.0", "interval_s = 1.0e-7"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.in
			for _, r := range tc.replace {
				if !strings.Contains(want, r[0]) {
					t.Fatalf("bad test: %q not in input", r[0])
				}
				want = strings.Replace(want, r[0], r[1], 1)
			}
			got, err := Apply([]byte(tc.in), tc.edits)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want {
				t.Fatalf("got\n%s\nwant\n%s", got, want)
			}
			// Whatever was written reads back as the values asked for.
			var doc map[string]any
			if err := toml.Unmarshal(got, &doc); err != nil {
				t.Fatalf("the result does not parse: %v", err)
			}
			for _, e := range tc.edits {
				if got := lookup(doc, e.Key); !sameValue(got, e.Value) {
					t.Errorf("%s reads back as %#v, want %#v", e.Key, got, e.Value)
				}
			}
		})
	}
}

func TestApplyRefusesWhatItCannotEdit(t *testing.T) {
	tests := []struct {
		name, in, key, words string
	}{
		{"a table", sample, "ibkr.reconnect", "table"},
		{"a top-level name", sample, "ibkr", "table"},
		{"a key in an array of tables", "[[x]]\na = 1\n", "x.a", "array of tables"},
		{"a missing key of an inline table", sample, "ibkr.reconnect.max_attempts", "by hand"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Apply([]byte(tc.in), []Edit{{tc.key, int64(1)}})
			var ke *KeyError
			if !errors.As(err, &ke) || ke.Key != tc.key || !strings.Contains(ke.Msg+ke.Fix, tc.words) {
				t.Fatalf("got %v, want a KeyError for %s mentioning %q", err, tc.key, tc.words)
			}
		})
	}
	if _, err := Apply([]byte("[a\nx = 1\n"), []Edit{{"a.x", int64(2)}}); err == nil || !strings.Contains(err.Error(), "does not parse") {
		t.Fatalf("a broken file: got %v", err)
	}
}

func TestFormatFloatLooksLikePython(t *testing.T) {
	for in, want := range map[float64]string{
		0: "0.0", 1: "1.0", 1.5: "1.5", 0.3: "0.3", 3600: "3600.0", 1e-5: "1.0e-5", 0.0001: "0.0001",
		1e15: "1000000000000000.0", 1e16: "1.0e16", -2.25: "-2.25", 123456.789: "123456.789",
	} {
		if got := FormatFloat(in); got != want {
			t.Errorf("FormatFloat(%v) = %q, want %q", in, got, want)
		}
	}
}

func lookup(doc map[string]any, key string) any {
	var cur any = doc
	for _, p := range strings.Split(key, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func sameValue(a, b any) bool {
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}
