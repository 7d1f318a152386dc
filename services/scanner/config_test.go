package main

import (
	"testing"

	"traderadmin.local/configcontract/vectors"
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

// The scanner's parser judges the shared vectors exactly as the contract's
// judge does (and then decodes into typed settings).
func TestSharedVectors(t *testing.T) {
	all, err := vectors.Load(vectorsDir)
	if err != nil {
		t.Fatal(err)
	}
	p := newParser(t)
	for _, v := range all {
		t.Run(v.Name, func(t *testing.T) {
			_, err := p.Parse(v.Data)
			if err := v.Check(err); err != nil {
				t.Fatal(err)
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
