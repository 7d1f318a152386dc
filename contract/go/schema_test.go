package configcontract

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestErrorMessages(t *testing.T) {
	s := newSchema(t)
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
			_, err := s.Judge(c.data)
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
	_, err := newSchema(t).Judge(encode(t, doc))
	want := "logging: required key is missing; scanner.workers: required key is missing"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

func TestFixSaysWhatToChange(t *testing.T) {
	doc := defaultDoc(t)
	delete(doc["scanner"].(map[string]any), "workers")
	doc["trading"].(map[string]any)["max_postions"] = 5
	doc["trading"].(map[string]any)["zzz"] = 1
	_, err := newSchema(t).Judge(encode(t, doc))
	var cerr *ConfigError
	if !errors.As(err, &cerr) {
		t.Fatalf("accepted (error %v)", err)
	}
	want := map[string]string{
		"scanner.workers":      "add it; schema.json gives its default",
		"trading.max_postions": `rename it to "max_positions", or remove it`,
		"trading.zzz":          "remove it: unknown keys are refused so that a typo never passes silently",
	}
	if len(cerr.Issues) != len(want) {
		t.Fatalf("got %v, want issues for %v", cerr, want)
	}
	for _, is := range cerr.Issues {
		if is.Fix != want[is.Key] {
			t.Errorf("%s: fix %q, want %q", is.Key, is.Fix, want[is.Key])
		}
	}
}

func TestSchemaDefaultsFillASection(t *testing.T) {
	s := newSchema(t)
	var reload struct {
		DebounceMS    int     `json:"debounce_ms"`
		PollIntervalS float64 `json:"poll_interval_s"`
	}
	if err := s.Defaults("reload", &reload); err != nil {
		t.Fatal(err)
	}
	if reload.DebounceMS != 50 || reload.PollIntervalS != 5 {
		t.Fatalf("reload defaults = %+v", reload)
	}
	if err := s.Defaults("nonexistent", &reload); err == nil {
		t.Fatal("no error for a section the schema lacks")
	}
}

func TestDefaultDocumentIsAValidConfig(t *testing.T) {
	s := newSchema(t)
	if _, err := s.Judge(encode(t, s.DefaultDocument())); err != nil {
		t.Fatalf("the schema's defaults are refused: %v", err)
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
