package configcontract

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// The rules of config/CONTRACT.md that go beyond the schema, each tried with
// several inputs of its class. The orchestrator's test_orchestrator_contract.py
// holds the same cases.

// defaultsText is the default config as `invoke config.init` writes it.
func defaultsText(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(vectorsDir, "valid", "defaults.toml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// variant replaces the value on the one `key = ...` line of the default
// config with raw TOML.
func variant(t testing.TB, key, raw string) []byte {
	t.Helper()
	lines := strings.Split(defaultsText(t), "\n")
	found := 0
	for i, line := range lines {
		if strings.HasPrefix(line, key+" = ") {
			lines[i] = key + " = " + raw
			found++
		}
	}
	if found != 1 {
		t.Fatalf("%q is on %d lines of the default config, want 1", key, found)
	}
	return []byte(strings.Join(lines, "\n"))
}

// TestRefusedAsTOML covers what is not TOML 1.0 or breaks the file limits:
// each is refused without naming a key, as the orchestrator refuses it.
func TestRefusedAsTOML(t *testing.T) {
	defaults := defaultsText(t)
	deep := func(open, close string, n int) string {
		return "a = " + strings.Repeat(open, n) + "1" + strings.Repeat(close, n) + "\n"
	}
	var aotChain strings.Builder
	for i := 1; i <= 17; i++ { // 17 header parts, but 34 levels with the array steps
		aotChain.WriteString("[[" + strings.Repeat("a.", i-1) + "a]]\n")
	}
	cases := []struct {
		name, doc, want string
	}{
		// A byte-order mark and bytes that are not UTF-8.
		{"BOM", "\uFEFF" + defaults, "byte-order mark"},
		{"BOM alone", "\uFEFF", "byte-order mark"},
		{"UTF-16 BOM", "\xff\xfe[ibkr]\n", "not UTF-8 text (byte 0)"},
		{"invalid UTF-8 in a comment", "# \xc3(\na = 1\n", "not UTF-8 text (byte 2)"},
		{"UTF-8 surrogate", "a = \"\xed\xa0\x80\"\n", "not UTF-8 text (byte 5)"},
		// TOML 1.1 escapes, wherever a basic string may be.
		{`\e`, `a = "x\ey"`, `\e is a TOML 1.1 escape`},
		{`\x`, `a = "\x41"`, `\x is a TOML 1.1 escape`},
		{`\x in a multi-line string`, "a = \"\"\"\nx\\x41\"\"\"", `\x is a TOML 1.1 escape`},
		{`\e in a quoted key`, `"a\e" = 1`, `\e is a TOML 1.1 escape`},
		{`\e in a table header`, "[\"a\\e\"]\n", `\e is a TOML 1.1 escape`},
		{`\x in an array in an inline table`, `a = {b = ["\x00"]}`, `\x is a TOML 1.1 escape`},
		{"invalid escape", `a = "\q"`, "invalid escape"},
		{"backslash space", `a = "a\ b"`, "invalid escape"},
		{"surrogate escape", `a = "\uD800"`, "not a Unicode scalar value"},
		// TOML 1.1 inline tables.
		{"line break in an inline table", "a = {b = 1,\n c = 2}", "line break inside an inline table"},
		{"line break after {", "a = {\nb = 1}", "line break inside an inline table"},
		{"line break before }", "a = {b = 1\n}", "line break inside an inline table"},
		{"CRLF in an inline table", "a = {b = 1,\r\n c = 2}", "line break inside an inline table"},
		{"trailing comma", "a = {b = 1,}", "trailing comma"},
		{"trailing comma and space", "a = {b = 1 , }", "trailing comma"},
		{"comment in an inline table", "a = {b = 1, # c\n c = 2}", "comment inside an inline table"},
		{"inline table in an array", "a = [{b = 1,}]", "trailing comma"},
		// TOML 1.1 times without seconds.
		{"local time", "a = 07:32", "time without seconds"},
		{"local date-time", "a = 1979-05-27T07:32", "time without seconds"},
		{"date-time with a space", "a = 1979-05-27 07:32", "time without seconds"},
		{"offset date-time", "a = 1979-05-27T07:32Z", "time without seconds"},
		{"offset date-time +hh:mm", "a = 1979-05-27t07:32+01:00", "time without seconds"},
		{"time in an array", "a = [07:32:00, 07:33]", "time without seconds"},
		{"time in an inline table", "a = {t = 07:32}", "time without seconds"},
		// Duplicate keys and tables defined twice.
		{"duplicate key", "a = 1\na = 2", "already defined"},
		{"duplicate key in the config", strings.Replace(defaults, "port = 7497", "port = 7497\nport = 4002", 1), "already defined"},
		{"table twice", "[a]\nb = 1\n[a]\nc = 1", "already exists"},
		{"dotted key, then its table", "a.b = 1\n[a]\nc = 2", "already exists"},
		{"table, then its dotted key", "[a.b]\nc = 1\n[a]\nb.d = 2", ""},
		{"inline table extended", "a = {b = 1}\na.c = 2", ""},
		{"inline table given a sub-table", "a = {b = 1}\n[a.c]", ""},
		{"array, then array of tables", "a = []\n[[a]]", ""},
		{"quoted key equal to a bare key", "a = 1\n\"a\" = 2", "already defined"},
		{"escaped key equal to a bare key", "a = 1\n\"\\u0061\" = 2", "already defined"},
		// Numbers beyond 64 bits.
		{"integer above int64", "a = 9223372036854775808", "64-bit"},
		{"integer below int64", "a = -9223372036854775809", "64-bit"},
		{"hex above int64", "a = 0x8000000000000000", "64-bit"},
		{"float beyond float64", "a = 1e400", "out of range"},
		{"negative float beyond float64", "a = -1.7976931348623159e308", "out of range"},
		// Control characters outside escapes.
		{"NUL in a string", "a = \"x\x00y\"", "U+0000"},
		{"NUL in a comment", "# \x00\na = 1", "U+0000"},
		{"NUL alone", "\x00", `'\x00'`},
		{"DEL in a literal string", "a = 'x\x7fy'", "U+007F"},
		{"escape char in a multi-line string", "a = \"\"\"x\x1by\"\"\"", "U+001B"},
		{"lone CR", "a = 1\rb = 2", "U+000D"},
		// The depth cap.
		{"arrays 33 deep", deep("[", "]", 33), "more than 32 levels deep"},
		{"arrays 300 deep", deep("[", "]", 300), "more than 32 levels deep"},
		{"inline tables 33 deep", "a = " + strings.Repeat("{b = ", 32) + "1" + strings.Repeat("}", 32), "more than 32 levels deep"},
		{"dotted key of 33 parts", strings.Repeat("a.", 32) + "a = 1", "more than 32 levels deep"},
		{"dotted key of 100000 parts", strings.Repeat("a.", 100000) + "a = 1", "more than 32 levels deep"},
		{"table header of 33 parts", "[" + strings.Repeat("a.", 32) + "a]", "more than 32 levels deep"},
		{"array of tables of 32 parts", "[[" + strings.Repeat("a.", 31) + "a]]", "more than 32 levels deep"},
		{"table, key and array adding up", "[" + strings.Repeat("t.", 19) + "t]\n" + strings.Repeat("k.", 9) + "k = [[[1]]]", "more than 32 levels deep"},
		{"arrays of tables in arrays of tables", aotChain.String(), "invalid TOML: tables and arrays nest more than 32 levels deep"},
		{"deep array as a setting", strings.Replace(defaults, "max_positions = 5", "max_positions = "+strings.Repeat("[", 40)+strings.Repeat("]", 40), 1), "more than 32 levels deep"},
		// The size cap.
		{"one byte over 1 MiB", defaults + "#" + strings.Repeat("x", MaxBytes-len(defaults)) + "\n", "larger than 1048576 bytes"},
	}
	s := newSchema(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Judge([]byte(c.doc))
			var cerr *ConfigError
			if !errors.As(err, &cerr) {
				t.Fatalf("accepted (error %v)", err)
			}
			if !cerr.Syntax || len(cerr.Issues) != 1 || cerr.Issues[0].Key != "" {
				t.Fatalf("want one refusal naming no key, got %#v", cerr)
			}
			if !strings.Contains(cerr.Error(), c.want) {
				t.Fatalf("got %q, want it to mention %q", cerr.Error(), c.want)
			}
			if !utf8.ValidString(cerr.Error()) {
				t.Fatalf("the message is not UTF-8: %q", cerr.Error())
			}
		})
	}
}

// TestAcceptedAsTOML covers TOML 1.0 forms a parser might wrongly refuse, or
// the walk before it might.
func TestAcceptedAsTOML(t *testing.T) {
	defaults := defaultsText(t)
	cases := []struct {
		name string
		doc  []byte
	}{
		{"-0.0 for a number with minimum 0", variant(t, "limit_offset_bps", "-0.0")},
		{"+0.0", variant(t, "limit_offset_bps", "+0.0")},
		{"-0 for an integer with minimum 0", variant(t, "client_id", "-0")},
		{"+0", variant(t, "client_id", "+0")},
		{"hexadecimal", variant(t, "port", "0x1D49")},
		{"octal", variant(t, "port", "0o16511")},
		{"binary", variant(t, "max_positions", "0b101")},
		{"underscores", variant(t, "min_avg_volume", "500_000")},
		{"exponent", variant(t, "interval_s", "6e1")},
		{"the largest client id, with underscores", variant(t, "client_id", "2_147_483_647")},
		{"literal string", variant(t, "host", "'localhost'")},
		{"multi-line string with a line-ending backslash", variant(t, "host", "\"\"\"\\\n    localhost\"\"\"")},
		{"escapes", variant(t, "host", `"\u006cocal\U00000068ost"`)},
		{"array over lines with comments", variant(t, "universe", "[\n  \"SPY\", # the index\n  \"QQQ\",\n]")},
		{"a section as an inline table", inlineLogging(t, defaults)},
		{"CRLF line ends", []byte(strings.ReplaceAll(defaults, "\n", "\r\n"))},
		{"tab in a comment", []byte("#\tx\n" + defaults)},
		{"times with seconds in comments are no values", []byte("# opens 09:30\n" + defaults)},
		{"non-ASCII in a comment", []byte("# é ü 日本 \U0001F600\n" + defaults)},
		{"no newline at the end", []byte(strings.TrimRight(defaults, "\n"))},
	}
	s := newSchema(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := s.Judge(c.doc); err != nil {
				t.Fatalf("refused: %v", err)
			}
		})
	}
}

// inlineLogging moves the [logging] table of the default config into an
// inline table at the top.
func inlineLogging(t *testing.T, defaults string) []byte {
	t.Helper()
	head, tail, ok := strings.Cut(defaults, "[logging]")
	if !ok || strings.Contains(tail, "\n[") {
		t.Fatal("[logging] is not the last table of the default config")
	}
	return []byte(`logging = { level = "INFO", format = "json" }` + "\n" + head)
}

// TestRefusedNamingTheKey covers values TOML allows but the contract does
// not: the refusal names the key, on both services.
func TestRefusedNamingTheKey(t *testing.T) {
	cases := []struct {
		name, key, want string
		doc             []byte
	}{
		// A string a pattern would take for a symbol but for a line break.
		{"symbol with a trailing newline", "scanner.universe", "U+000A", variant(t, "universe", `["SPY\n"]`)},
		{"symbol in a multi-line string", "scanner.universe", "U+000A", variant(t, "universe", "[\"\"\"SPY\n\"\"\"]")},
		{"time with a trailing newline", "schedule.market_open", "U+000A", variant(t, "market_open", `"09:30\n"`)},
		{"env name with a trailing CRLF", "alerts.webhook_url_env", "U+000D", variant(t, "webhook_url_env", `"TRADER_X\r\n"`)},
		// Control characters that escapes put in a string.
		{"NUL escape", "ibkr.host", "U+0000", variant(t, "host", `"local\u0000host"`)},
		{"tab", "cache.dir", "U+0009", variant(t, "dir", `"/var/cache/\ttrader"`)},
		{"newline", "schedule.timezone", "U+000A", variant(t, "timezone", `"America/New_York\n"`)},
		{"DEL", "ibkr.host", "U+007F", variant(t, "host", `"local\u007f"`)},
		{"C1 control", "schedule.timezone", "U+0085", variant(t, "timezone", `"America/New_York\u0085"`)},
		// An array of tables, or a table, where something else belongs.
		{"array of tables for a section", "ibkr", "", []byte("[[ibkr]]\nhost = 'x'\n")},
		{"array of tables for a nested section", "strategies.high_base", "", []byte(strings.Replace(defaultsText(t), "[strategies.high_base]", "[[strategies.high_base]]", 1))},
		{"array of tables for a list of strings", "scanner.universe", "", []byte(strings.Replace(defaultsText(t), `universe = ["SPY", "QQQ", "AAPL", "MSFT", "NVDA"]`, "", 1) + "\n[[scanner.universe]]\nx = 1\n")},
		{"table for a number", "trading.max_positions", "", []byte(strings.Replace(defaultsText(t), "max_positions = 5", "", 1) + "\n[trading.max_positions]\nx = 1\n")},
		{"inline tables in a list", "scanner.universe", "", variant(t, "universe", "[{a = 1}, {b = [1]}]")},
		{"lists in a list", "scanner.universe", "", variant(t, "universe", `[["SPY"], [[]]]`)},
		{"a date in a list", "scanner.universe", "date or time", variant(t, "universe", "[1979-05-27]")},
		{"a local time", "schedule.market_open", "date or time", variant(t, "market_open", "09:30:00")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cerr := judgeErr(t, c.doc)
			if cerr.Syntax || !cerr.Names(c.key) {
				t.Fatalf("want an issue naming %s, got %v", c.key, cerr)
			}
			if !strings.Contains(cerr.Error(), c.want) {
				t.Fatalf("got %q, want it to mention %q", cerr.Error(), c.want)
			}
		})
	}
}

// TestPatternsMatchTheWholeString: the schema's patterns are ECMA-262
// regular expressions, where `$` is the very end of the string (Go's RE2
// agrees; Python's re needs telling). Checked on the schema alone, as the
// control-character rule refuses these strings before the schema is asked.
func TestPatternsMatchTheWholeString(t *testing.T) {
	s := newSchema(t)
	for _, c := range []struct{ table, key, value string }{
		{"schedule", "market_open", "09:30\n"},
		{"alerts", "webhook_url_env", "TRADER_X\n"},
		{"schedule", "market_open", "x09:30"},
		{"schedule", "market_open", "09:300"},
	} {
		doc := defaultDoc(t)
		doc[c.table].(map[string]any)[c.key] = c.value
		instance, _ := toJSONValue(doc, nil)
		if err := s.compiled.Validate(instance); err == nil {
			t.Errorf("%s.%s = %q passed its pattern", c.table, c.key, c.value)
		}
	}
	doc := defaultDoc(t)
	doc["scanner"].(map[string]any)["universe"] = []any{"SPY\n"}
	instance, _ := toJSONValue(doc, nil)
	if err := s.compiled.Validate(instance); err == nil {
		t.Error(`scanner.universe = ["SPY\n"] passed its pattern`)
	}
}

// TestDepthLimitIsInclusive: 32 levels are allowed, a 33rd is not.
func TestDepthLimitIsInclusive(t *testing.T) {
	at32 := "a = " + strings.Repeat("[", 32) + strings.Repeat("]", 32)
	_, err := newSchema(t).Judge([]byte(at32))
	var cerr *ConfigError
	if !errors.As(err, &cerr) || cerr.Syntax {
		t.Fatalf("32 levels: want a schema refusal (unknown key a), got %v", err)
	}
	cerr = judgeErr(t, []byte("a = "+strings.Repeat("[", 33)+strings.Repeat("]", 33)))
	if !cerr.Syntax {
		t.Fatalf("33 levels: want a refusal as too deep, got %v", cerr)
	}
}

// FuzzJudge feeds Judge arbitrary bytes, starting from the shared vectors:
// it must never panic, and what it accepts must keep the contract's limits.
func FuzzJudge(f *testing.F) {
	for _, kind := range []string{"valid", "invalid"} {
		files, _ := filepath.Glob(filepath.Join(vectorsDir, kind, "*.toml"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, seed := range []string{"a = {b = 1,}", `a = "\e"`, "a = 07:32", "\uFEFFa = 1", "a = [[[[1]]]]", "[[a]]\n[a.b]"} {
		f.Add([]byte(seed))
	}
	s := newSchema(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := s.Judge(data)
		if err != nil {
			var cerr *ConfigError
			if !errors.As(err, &cerr) || len(cerr.Issues) == 0 {
				t.Fatalf("refused without a ConfigError: %v", err)
			}
			return
		}
		if doc == nil || len(data) > MaxBytes || !utf8.Valid(data) || bytes.HasPrefix(data, []byte("\uFEFF")) {
			t.Fatalf("accepted what the contract refuses: %q", data)
		}
	})
}
