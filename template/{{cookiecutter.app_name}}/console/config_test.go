package console

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"traderadmin.local/console/store"
)

// testdata/config.toml is what `invoke config.init` writes from
// testdata/schema.json (a copy of the repository's config/schema.json):
// every setting with its comment.
func setup(t *testing.T) (*Config, string) {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile("testdata/config.toml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return NewConfig(Files{Config: path, Schema: "testdata/schema.json"}), path
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFormHasEveryTypeItsControl(t *testing.T) {
	c, _ := setup(t)
	form, err := c.Form()
	if err != nil {
		t.Fatal(err)
	}
	if form.LoadError != "" || len(form.Problems) != 0 || len(form.SHA256) != 64 {
		t.Fatalf("form of a valid file: loadError %q, problems %v", form.LoadError, form.Problems)
	}
	var names []string
	fields := map[string]Field{}
	for _, tab := range form.Tabs {
		names = append(names, tab.Name)
		for _, f := range tab.Fields {
			fields[f.Key] = f
		}
	}
	if strings.Join(names, ",") != "ibkr,trading,strategies,scanner,options,cache,schedule,alerts,reload,logging" {
		t.Fatalf("tabs %v are not in schema order", names)
	}
	if form.Tabs[0].Title != "IBKR" || form.Tabs[0].Fields[0].Key != "ibkr.host" {
		t.Fatalf("first tab %+v", form.Tabs[0].Title)
	}
	tests := []struct {
		key, kind, unit, label string
		value                  any
		check                  func(Field) bool
	}{
		{"ibkr.port", "int", "", "Port", int64(7497), func(f Field) bool { return *f.Minimum == 1 && *f.Maximum == 65535 }},
		{"ibkr.read_only", "bool", "", "Read only", false, nil},
		{"ibkr.reconnect.max_delay_s", "float", "s", "Reconnect: max delay", 60.0, func(f Field) bool { return f.Allowed == "a number from 1 to 3600 s" }},
		{"trading.mode", "enum", "", "Mode", "PAPER", func(f Field) bool { return f.Live && strings.Join(f.Enum, ",") == "PAPER,LIVE" }},
		{"scanner.universe", "array", "", "Universe", []any{"SPY", "QQQ", "AAPL", "MSFT", "NVDA"},
			func(f Field) bool {
				return f.ItemKind == "string" && f.Pattern != "" && *f.MinItems == 1 && f.UniqueItems
			}},
		{"schedule.trading_days", "array", "", "Trading days", []any{"MON", "TUE", "WED", "THU", "FRI"},
			func(f Field) bool { return len(f.Enum) == 7 }},
		{"schedule.market_open", "string", "", "Market open", "09:30", func(f Field) bool { return f.Pattern != "" }},
		{"trading.risk_per_trade_pct", "float", "%", "Risk per trade", 1.0, nil},
	}
	for _, tc := range tests {
		f, ok := fields[tc.key]
		if !ok {
			t.Errorf("no field %s", tc.key)
			continue
		}
		if f.Kind != tc.kind || f.Unit != tc.unit || f.Label != tc.label || !same(f.Value, tc.value) || (tc.check != nil && !tc.check(f)) {
			t.Errorf("%s: %+v", tc.key, f)
		}
	}
	if d, ok := fields["ibkr.port"].Default.(int64); !ok || d != 7497 {
		t.Errorf("default %#v", fields["ibkr.port"].Default)
	}
}

func TestFormOfABrokenFileSaysWhyAndStillShowsTheSchema(t *testing.T) {
	c, path := setup(t)
	os.WriteFile(path, []byte("[ibkr\n"), 0o644)
	form, err := c.Form()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(form.LoadError, "restore a backup") || len(form.Problems) == 0 || len(form.Tabs) != 10 {
		t.Fatalf("loadError %q problems %v", form.LoadError, form.Problems)
	}
	os.Remove(path)
	form, _ = c.Form()
	if !strings.Contains(form.LoadError, "invoke config.init") {
		t.Fatalf("missing file: %q", form.LoadError)
	}
}

func TestCheckNamesTheKeyTheValueAndTheFix(t *testing.T) {
	tests := []struct {
		name  string
		edits map[string]any
		key   string // "" when the edits are fine
		words string
		fix   string
		live  bool
	}{
		{"below the minimum", map[string]any{"trading.max_positions": 0.0}, "trading.max_positions", "minimum", "whole number from 1 to 100", false},
		{"not a number", map[string]any{"trading.max_positions": "six"}, "trading.max_positions", "whole number", "from 1 to 100", false},
		{"a fraction for an integer", map[string]any{"trading.max_positions": 5.5}, "trading.max_positions", "whole number", "", false},
		{"a live port on paper", map[string]any{"ibkr.port": 7496.0}, "ibkr.port", "LIVE port", "", false},
		{"x-order, strict", map[string]any{"schedule.market_close": "09:00"}, "schedule.market_close", "later than", "schedule.market_open", false},
		{"x-order names the upper key", map[string]any{"options.min_days_to_expiry": 60.0}, "options.max_days_to_expiry", "must not be below", "options.min_days_to_expiry", false},
		{"a pattern, on the list's field", map[string]any{"scanner.universe": []any{"SPY", "spy"}}, "scanner.universe", "item 2: 'spy' does not match", "a list of texts matching", false},
		{"an enum", map[string]any{"logging.level": "LOUD"}, "logging.level", "is not one of", "one of DEBUG", false},
		{"a bool", map[string]any{"ibkr.read_only": "maybe"}, "ibkr.read_only", "true or false", "", false},
		{"a table", map[string]any{"ibkr": 1.0}, "ibkr", "is a table", "", false},
		{"an unknown key", map[string]any{"ibkr.password": "x"}, "ibkr.password", "not a setting", "", false},
		{"LIVE alone also needs a live port", map[string]any{"trading.mode": "LIVE"}, "ibkr.port", "PAPER port", "", true},
		{"LIVE with a live port is fine, once confirmed", map[string]any{"trading.mode": "LIVE", "ibkr.port": 7496.0}, "", "", "", true},
		{"a list from text", map[string]any{"scanner.universe": "SPY, IWM"}, "", "", "", false},
		{"ordered keys moved together", map[string]any{"options.min_days_to_expiry": 60.0, "options.max_days_to_expiry": 90.0}, "", "", "", false},
		{"every type at once", map[string]any{"ibkr.host": "gw", "ibkr.read_only": true, "scanner.interval_s": 30.0,
			"scanner.workers": 8.0, "logging.level": "DEBUG", "alerts.channels": []any{"log", "slack"}}, "", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, path := setup(t)
			before := readFile(t, path)
			j, err := c.Check(tc.edits)
			if err != nil {
				t.Fatal(err)
			}
			if readFile(t, path) != before {
				t.Fatal("Check wrote the file")
			}
			if j.NeedsLiveConfirm != tc.live {
				t.Errorf("needsLiveConfirm %v", j.NeedsLiveConfirm)
			}
			if tc.key == "" {
				if !j.OK || len(j.Problems) != 0 {
					t.Fatalf("want ok, got %+v", j.Problems)
				}
				return
			}
			if j.OK {
				t.Fatal("want problems")
			}
			for _, p := range j.Problems {
				if p.Key == tc.key && strings.Contains(p.Message, tc.words) && strings.Contains(p.Fix, tc.fix) && p.Fix != "" {
					return
				}
			}
			t.Fatalf("no problem for %s with %q / fix %q in %+v", tc.key, tc.words, tc.fix, j.Problems)
		})
	}
}

func TestSaveChangesOnlyTheEditedLinesAndBacksUp(t *testing.T) {
	c, path := setup(t)
	text := strings.Replace(readFile(t, path), "max_positions = 5\n", "max_positions = 5  # my own note\n", 1)
	os.WriteFile(path, []byte(text), 0o644)
	form, _ := c.Form()
	res, err := c.Save(map[string]any{"trading.max_positions": 6.0, "scanner.interval_s": 30.0, "ibkr.host": "gw.local",
		"scanner.universe": []any{"SPY"}, "ibkr.read_only": true, "logging.format": "text"}, form.SHA256, false)
	if err != nil {
		t.Fatal(err)
	}
	after := readFile(t, path)
	want := text
	for _, r := range [][2]string{
		{"max_positions = 5  # my own note\n", "max_positions = 6  # my own note\n"},
		{"interval_s = 60.0\n", "interval_s = 30.0\n"},
		{`host = "localhost"`, `host = "gw.local"`},
		{`universe = ["SPY", "QQQ", "AAPL", "MSFT", "NVDA"]`, `universe = ["SPY"]`},
		{"read_only = false\n", "read_only = true\n"},
		{`format = "json"`, `format = "text"`},
	} {
		want = strings.Replace(want, r[0], r[1], 1)
	}
	if after != want {
		t.Fatalf("bytes other than the edited values changed:\n%s", after)
	}
	if !res.Written || res.PreviousSHA256 != form.SHA256 || res.SHA256 != store.Hash([]byte(after)) {
		t.Fatalf("result %+v", res)
	}
	if readFile(t, path+".bak") != text || readFile(t, res.Backup) != text {
		t.Fatal("the backups do not hold the file as it was")
	}
	if !regexp.MustCompile(`/backups/config-\d{8}T\d{12}Z-[0-9a-f]{8}\.toml$`).MatchString(res.Backup) {
		t.Fatalf("history entry %s is not in the toolkit's format", res.Backup)
	}
	backups, _ := c.Backups()
	if len(backups) != 1 || backups[0].Path != res.Backup || backups[0].SHA256 != form.SHA256 {
		t.Fatalf("backups %+v", backups)
	}
}

func TestSaveKeepsCRLF(t *testing.T) {
	c, path := setup(t)
	crlf := strings.ReplaceAll(readFile(t, path), "\n", "\r\n")
	os.WriteFile(path, []byte(crlf), 0o644)
	if _, err := c.Save(map[string]any{"trading.max_positions": 7.0}, store.Hash([]byte(crlf)), false); err != nil {
		t.Fatal(err)
	}
	if readFile(t, path) != strings.Replace(crlf, "max_positions = 5\r\n", "max_positions = 7\r\n", 1) {
		t.Fatal("a CRLF file changed beyond its value")
	}
}

func TestSaveRefusesAndWritesNothing(t *testing.T) {
	tests := []struct {
		name    string
		edits   map[string]any
		base    func(string) string
		confirm bool
		words   string
	}{
		{"an invalid value", map[string]any{"trading.max_positions": 0.0}, nil, false, "trading.max_positions: 0 is less than the minimum of 1"},
		{"a stale form", map[string]any{"trading.max_positions": 6.0}, func(string) string { return strings.Repeat("0", 64) }, false, "changed on disk since you opened it"},
		{"LIVE without confirmation", map[string]any{"trading.mode": "LIVE", "ibkr.port": 7496.0}, nil, false, "LIVE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, path := setup(t)
			before := readFile(t, path)
			base := store.Hash([]byte(before))
			if tc.base != nil {
				base = tc.base(base)
			}
			_, err := c.Save(tc.edits, base, tc.confirm)
			if err == nil || !strings.Contains(err.Error(), tc.words) {
				t.Fatalf("got %v, want %q", err, tc.words)
			}
			if tc.base != nil && !errors.Is(err, ErrChangedOnDisk) {
				t.Fatalf("not ErrChangedOnDisk: %v", err)
			}
			if readFile(t, path) != before {
				t.Fatal("the file changed")
			}
			for _, leftover := range []string{path + ".bak", filepath.Join(filepath.Dir(path), "backups"), filepath.Join(filepath.Dir(path), ".config.toml.lock")} {
				if _, err := os.Stat(leftover); err == nil {
					t.Fatalf("%s was made", leftover)
				}
			}
		})
	}
}

func TestConfirmedLiveIsSaved(t *testing.T) {
	c, path := setup(t)
	if _, err := c.Save(map[string]any{"trading.mode": "LIVE", "ibkr.port": 7496.0}, "", true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(readFile(t, path), `mode = "LIVE"`) {
		t.Fatal("not saved")
	}
}

func TestSaveWaitsForAnotherWritersLock(t *testing.T) {
	c, path := setup(t)
	release, err := store.Lock(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(150 * time.Millisecond)
		release()
	}()
	started := time.Now()
	if _, err := c.Save(map[string]any{"trading.max_positions": 6.0}, "", false); err != nil {
		t.Fatal(err)
	}
	if time.Since(started) < 100*time.Millisecond {
		t.Fatal("Save did not wait for the lock")
	}
}

func TestPreviewIsAUnifiedDiffOfTheEditedLines(t *testing.T) {
	c, path := setup(t)
	before := readFile(t, path)
	p, err := c.Preview(map[string]any{"trading.max_positions": 6.0})
	if err != nil {
		t.Fatal(err)
	}
	var changed []string
	for _, line := range strings.Split(p.Diff, "\n") {
		if (strings.HasPrefix(line, "-") || strings.HasPrefix(line, "+")) && !strings.HasPrefix(line, "---") && !strings.HasPrefix(line, "+++") {
			changed = append(changed, line)
		}
	}
	if strings.Join(changed, "|") != "-max_positions = 5|+max_positions = 6" || !strings.Contains(p.Diff, "@@") {
		t.Fatalf("diff:\n%s", p.Diff)
	}
	if p.BaseSHA256 != store.Hash([]byte(before)) || p.SHA256 == p.BaseSHA256 || len(p.Problems) != 0 || readFile(t, path) != before {
		t.Fatalf("preview %+v", p)
	}
}

func TestRestoreIsUndo(t *testing.T) {
	c, path := setup(t)
	original := readFile(t, path)
	if _, err := c.Save(map[string]any{"trading.max_positions": 7.0}, "", false); err != nil {
		t.Fatal(err)
	}
	edited := readFile(t, path)
	backups, _ := c.Backups()
	res, err := c.Restore(backups[0].ID, false)
	if err != nil || readFile(t, path) != original || !res.Written {
		t.Fatalf("restore: %v", err)
	}
	backups, _ = c.Backups()
	if len(backups) != 2 || readFile(t, backups[0].Path) != edited {
		t.Fatal("the restore did not back up what it replaced")
	}
	if _, err := c.Restore("config-nope.toml", false); err == nil || !strings.Contains(err.Error(), "not a backup") {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestRestoreRepairsAFileThatNoLongerParses(t *testing.T) {
	c, path := setup(t)
	good := readFile(t, path)
	c.Save(map[string]any{"trading.max_positions": 7.0}, "", false)
	os.WriteFile(path, []byte("[broken\n"), 0o644)
	backups, _ := c.Backups()
	if _, err := c.Restore(backups[len(backups)-1].ID, false); err != nil {
		t.Fatal(err)
	}
	if readFile(t, path) != good {
		t.Fatal("not restored")
	}
}
