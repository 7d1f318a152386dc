package console

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"traderadmin.local/configcontract"
)

// testdata/view holds a small schema and one config per case.
func viewOf(name string) (*View, error) {
	return NewConfig(Files{Config: filepath.Join("testdata", "view", name), Schema: filepath.Join("testdata", "view", "schema.json")}).View()
}

func mustView(t *testing.T, name string) *View {
	t.Helper()
	v, err := viewOf(name)
	if err != nil {
		t.Fatalf("View of %s: %v", name, err)
	}
	return v
}

func settingOf(t *testing.T, v *View, path string) ViewField {
	t.Helper()
	for _, s := range v.Sections {
		for _, f := range s.Fields {
			if f.Path == path {
				return f
			}
		}
	}
	t.Fatalf("no field %s in the view", path)
	return ViewField{}
}

func TestValidConfigGivesSectionsInSchemaOrder(t *testing.T) {
	v := mustView(t, "valid.toml")
	if !v.Valid || len(v.Problems) != 0 {
		t.Fatalf("valid.toml judged invalid: %+v", v.Problems)
	}
	var names []string
	for _, s := range v.Sections {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "trading,ibkr" {
		t.Errorf("sections = %s, want the schema's order trading,ibkr", got)
	}
	if v.Title != "Fixture configuration" {
		t.Errorf("title = %q", v.Title)
	}
}

func TestFieldsCarryValueDescriptionAndUnit(t *testing.T) {
	v := mustView(t, "valid.toml")
	risk := settingOf(t, v, "trading.risk_per_trade_pct")
	if risk.Value != "1.0" || risk.Unit != "%" || risk.Description != "Equity risked per trade." || !risk.IsDefault {
		t.Errorf("risk_per_trade_pct = %+v", risk)
	}
	if risk.Range != "0.01 … 10" {
		t.Errorf("range = %q", risk.Range)
	}
	positions := settingOf(t, v, "trading.max_positions")
	if positions.Value != "6" || positions.IsDefault || positions.Default != "5" {
		t.Errorf("max_positions = %+v", positions)
	}
	mode := settingOf(t, v, "trading.mode")
	if strings.Join(mode.Choices, "|") != "PAPER|LIVE" {
		t.Errorf("mode choices = %v", mode.Choices)
	}
}

func TestNestedTablesAreFlattenedIntoTheirSection(t *testing.T) {
	v := mustView(t, "valid.toml")
	delay := settingOf(t, v, "ibkr.reconnect.delay_s")
	if delay.Key != "reconnect.delay_s" || delay.Value != "2.5" || delay.Unit != "s" {
		t.Errorf("delay_s = %+v", delay)
	}
	if got := settingOf(t, v, "ibkr.reconnect.symbols").Value; got != "SPY, QQQ" {
		t.Errorf("symbols = %q", got)
	}
}

func TestSHA256IsOfTheFileBytes(t *testing.T) {
	v := mustView(t, "valid.toml")
	data, err := os.ReadFile(filepath.Join("testdata", "view", "valid.toml"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if v.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("sha256 = %s", v.SHA256)
	}
}

func TestEachBrokenRuleIsOneProblemOnItsKey(t *testing.T) {
	cases := []struct {
		file, path, message string
		exact               bool // the contract's or the schema's own words
	}{
		{"unknown_key.toml", "trading.max_positionz", "unknown key", false},
		{"bad_value.toml", "trading.max_positions", "minimum", false},
		{"missing_key.toml", "trading.risk_per_trade_pct", "missing", false},
		// TOML's 5.0 is a float, whatever JSON Schema thinks of it; an
		// integer where a number is wanted (risk_per_trade_pct = 1) is fine.
		{"float_for_integer.toml", "trading.max_positions", "5.0 is not of type 'integer'", true},
		{"not_finite.toml", "ibkr.reconnect.delay_s", "nan is not a finite number", true},
		// The schema's x-error text is used.
		{"live_port_on_paper.toml", "ibkr.port", "port 7496 is a LIVE port but trading.mode is PAPER", true},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			v := mustView(t, c.file)
			if v.Valid {
				t.Errorf("%s was judged valid", c.file)
			}
			if len(v.Problems) != 1 || v.Problems[0].Path != c.path {
				t.Fatalf("problems = %+v, want one on %s", v.Problems, c.path)
			}
			if got := v.Problems[0].Message; got != c.message && (c.exact || !strings.Contains(got, c.message)) {
				t.Errorf("message = %q, want %q", got, c.message)
			}
		})
	}
}

func TestAnInvalidConfigStillShowsItsValues(t *testing.T) {
	if got := settingOf(t, mustView(t, "bad_value.toml"), "trading.max_positions").Value; got != "0" {
		t.Errorf("max_positions is shown as %q, want 0", got)
	}
	if f := settingOf(t, mustView(t, "missing_key.toml"), "trading.risk_per_trade_pct"); f.Set || f.Value != "" {
		t.Errorf("a missing setting must show as not set, got %+v", f)
	}
	if got := settingOf(t, mustView(t, "not_finite.toml"), "ibkr.reconnect.delay_s").Value; got != "nan" {
		t.Errorf("nan is shown as %q, want it as TOML writes it", got)
	}
}

func TestProblemsCarryTheContractsFix(t *testing.T) {
	got := viewProblems([]configcontract.Issue{{Key: "trading.max_postions", Message: "unknown key", Fix: "rename it"}})
	want := []ViewProblem{{Path: "trading.max_postions", Message: "unknown key", Fix: "rename it"}}
	if len(got) != 1 || got[0] != want[0] {
		t.Errorf("viewProblems = %+v, want %+v", got, want)
	}
	if got := viewProblems(nil); got == nil || len(got) != 0 {
		t.Errorf("viewProblems(nil) = %#v, want an empty list for the front end", got)
	}
}

func TestAFileThatIsNotRegularIsRefused(t *testing.T) {
	_, err := NewConfig(Files{Config: t.TempDir(), Schema: filepath.Join("testdata", "view", "schema.json")}).View()
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("err = %v, want the contract's refusal of a directory", err)
	}
}

func TestUnparsableTomlIsAnErrorNamingTheFile(t *testing.T) {
	_, err := viewOf("broken.toml")
	if err == nil || !strings.Contains(err.Error(), "broken.toml") {
		t.Errorf("err = %v, want a parse error naming broken.toml", err)
	}
}

func TestMissingConfigSaysHowToCreateIt(t *testing.T) {
	_, err := viewOf("absent.toml")
	if err == nil || !strings.Contains(err.Error(), "invoke config.init") {
		t.Errorf("err = %v, want a hint to run invoke config.init", err)
	}
}
