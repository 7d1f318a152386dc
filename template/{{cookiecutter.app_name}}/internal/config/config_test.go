package config

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"traderadmin.local/configcontract"
)

func fixture(t *testing.T, name string) Paths {
	t.Helper()
	return Paths{Config: filepath.Join("testdata", name), Schema: filepath.Join("testdata", "schema.json")}
}

func mustLoad(t *testing.T, name string) *View {
	t.Helper()
	v, err := Load(fixture(t, name))
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	return v
}

func field(t *testing.T, v *View, path string) Field {
	t.Helper()
	for _, s := range v.Sections {
		for _, f := range s.Fields {
			if f.Path == path {
				return f
			}
		}
	}
	t.Fatalf("no field %s in the view", path)
	return Field{}
}

func TestValidConfigGivesSectionsInSchemaOrder(t *testing.T) {
	v := mustLoad(t, "valid.toml")
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
	v := mustLoad(t, "valid.toml")
	risk := field(t, v, "trading.risk_per_trade_pct")
	if risk.Value != "1.0" || risk.Unit != "%" || risk.Description != "Equity risked per trade." || !risk.IsDefault {
		t.Errorf("risk_per_trade_pct = %+v", risk)
	}
	if risk.Range != "0.01 … 10" {
		t.Errorf("range = %q", risk.Range)
	}
	positions := field(t, v, "trading.max_positions")
	if positions.Value != "6" || positions.IsDefault || positions.Default != "5" {
		t.Errorf("max_positions = %+v", positions)
	}
	mode := field(t, v, "trading.mode")
	if strings.Join(mode.Choices, "|") != "PAPER|LIVE" {
		t.Errorf("mode choices = %v", mode.Choices)
	}
}

func TestNestedTablesAreFlattenedIntoTheirSection(t *testing.T) {
	v := mustLoad(t, "valid.toml")
	delay := field(t, v, "ibkr.reconnect.delay_s")
	if delay.Key != "reconnect.delay_s" || delay.Value != "2.5" || delay.Unit != "s" {
		t.Errorf("delay_s = %+v", delay)
	}
	if got := field(t, v, "ibkr.reconnect.symbols").Value; got != "SPY, QQQ" {
		t.Errorf("symbols = %q", got)
	}
}

func TestSHA256IsOfTheFileBytes(t *testing.T) {
	v := mustLoad(t, "valid.toml")
	data, err := os.ReadFile(filepath.Join("testdata", "valid.toml"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if v.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("sha256 = %s", v.SHA256)
	}
}

func TestUnknownKeyIsAProblem(t *testing.T) {
	v := mustLoad(t, "unknown_key.toml")
	if v.Valid {
		t.Fatal("a config with an unknown key was judged valid")
	}
	if len(v.Problems) != 1 || v.Problems[0].Path != "trading.max_positionz" || !strings.Contains(v.Problems[0].Message, "unknown key") {
		t.Errorf("problems = %+v, want one unknown key trading.max_positionz", v.Problems)
	}
}

func TestBadValueIsAProblem(t *testing.T) {
	v := mustLoad(t, "bad_value.toml")
	if v.Valid {
		t.Fatal("max_positions = 0 was judged valid")
	}
	if len(v.Problems) != 1 || v.Problems[0].Path != "trading.max_positions" || !strings.Contains(v.Problems[0].Message, "minimum") {
		t.Errorf("problems = %+v, want one about trading.max_positions below its minimum", v.Problems)
	}
	if got := field(t, v, "trading.max_positions").Value; got != "0" {
		t.Errorf("an invalid config must still show its values, got %q", got)
	}
}

func TestMissingKeyIsReportedOnTheKey(t *testing.T) {
	v := mustLoad(t, "missing_key.toml")
	if len(v.Problems) != 1 || v.Problems[0].Path != "trading.risk_per_trade_pct" || !strings.Contains(v.Problems[0].Message, "missing") {
		t.Errorf("problems = %+v, want trading.risk_per_trade_pct missing", v.Problems)
	}
	if f := field(t, v, "trading.risk_per_trade_pct"); f.Set || f.Value != "" {
		t.Errorf("a missing setting must show as not set, got %+v", f)
	}
}

func TestTomlNumberKindsAreKept(t *testing.T) {
	cases := []struct {
		file, path, message string
	}{
		// TOML's 5.0 is a float, whatever JSON Schema thinks of it; an
		// integer where a number is wanted (risk_per_trade_pct = 1) is fine.
		{"float_for_integer.toml", "trading.max_positions", "5.0 is not of type 'integer'"},
		{"not_finite.toml", "ibkr.reconnect.delay_s", "nan is not a finite number"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			v := mustLoad(t, c.file)
			if len(v.Problems) != 1 || v.Problems[0].Path != c.path || v.Problems[0].Message != c.message {
				t.Errorf("problems = %+v, want only %s: %s", v.Problems, c.path, c.message)
			}
		})
	}
	if got := field(t, mustLoad(t, "not_finite.toml"), "ibkr.reconnect.delay_s").Value; got != "nan" {
		t.Errorf("nan is shown as %q, want it as TOML writes it", got)
	}
}

func TestProblemsCarryTheContractsFix(t *testing.T) {
	got := problemsOf([]configcontract.Issue{{Key: "trading.max_postions", Message: "unknown key", Fix: "rename it"}})
	want := []Problem{{Path: "trading.max_postions", Message: "unknown key", Fix: "rename it"}}
	if len(got) != 1 || got[0] != want[0] {
		t.Errorf("problemsOf = %+v, want %+v", got, want)
	}
	if got := problemsOf(nil); got == nil || len(got) != 0 {
		t.Errorf("problemsOf(nil) = %#v, want an empty list for the front end", got)
	}
}

func TestAFileThatIsNotRegularIsRefused(t *testing.T) {
	_, err := Load(Paths{Config: t.TempDir(), Schema: filepath.Join("testdata", "schema.json")})
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("err = %v, want the contract's refusal of a directory", err)
	}
}

func TestSchemaErrorTextIsUsed(t *testing.T) {
	v := mustLoad(t, "live_port_on_paper.toml")
	if len(v.Problems) != 1 || v.Problems[0].Message != "port 7496 is a LIVE port but trading.mode is PAPER" {
		t.Errorf("problems = %+v, want the schema's x-error text", v.Problems)
	}
}

func TestUnparsableTomlIsAnErrorNamingTheFile(t *testing.T) {
	_, err := Load(fixture(t, "broken.toml"))
	if err == nil || !strings.Contains(err.Error(), "broken.toml") {
		t.Errorf("err = %v, want a parse error naming broken.toml", err)
	}
}

func TestMissingConfigSaysHowToCreateIt(t *testing.T) {
	_, err := Load(fixture(t, "absent.toml"))
	if err == nil || !strings.Contains(err.Error(), "invoke config.init") {
		t.Errorf("err = %v, want a hint to run invoke config.init", err)
	}
}

func TestLocateFindsTheRepositoryFromASubfolder(t *testing.T) {
	repo := t.TempDir()
	if err := os.MkdirAll(filepath.Join(repo, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "config", "schema.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(repo, "app", "TraderAdmin", "build", "bin")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := Locate("", "", func(string) string { return "" }, deep)
	if err != nil {
		t.Fatal(err)
	}
	if p.Config != filepath.Join(repo, "config", "config.toml") || p.Schema != filepath.Join(repo, "config", "schema.json") {
		t.Errorf("paths = %+v", p)
	}
}

func TestLocatePrefersFlagsThenEnvironment(t *testing.T) {
	env := map[string]string{EnvConfig: "/etc/trader/config.toml"}
	p, err := Locate("", "", func(k string) string { return env[k] }, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if p.Config != "/etc/trader/config.toml" || p.Schema != "/etc/trader/schema.json" {
		t.Errorf("from the environment: %+v", p)
	}
	p, err = Locate("mine.toml", "mine.json", func(k string) string { return env[k] }, "/w")
	if err != nil {
		t.Fatal(err)
	}
	if p.Config != "/w/mine.toml" || p.Schema != "/w/mine.json" {
		t.Errorf("from flags: %+v", p)
	}
}

func TestLocateExplainsAMissingRepository(t *testing.T) {
	_, err := Locate("", "", func(string) string { return "" }, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "-config") {
		t.Errorf("err = %v, want a hint about -config", err)
	}
}
