package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"traderadmin.local/configcontract"
)

// verdict is the scanner's judgement of one file, as tests/test_config_vectors.py
// compares it with the orchestrator's.
type verdict struct {
	Accepted bool   `json:"accepted"`
	Syntax   bool   `json:"syntax"`
	Error    string `json:"error"`
}

// TestJudgeFiles judges every file in $SCANNER_JUDGE_DIR and writes the
// verdicts, by file name, as JSON to $SCANNER_JUDGE_OUT: the Python side
// feeds both services the same generated files and compares. Without the
// variables it judges the shared vectors, so the hook itself stays tested.
func TestJudgeFiles(t *testing.T) {
	pattern := filepath.Join(os.Getenv("SCANNER_JUDGE_DIR"), "*")
	if os.Getenv("SCANNER_JUDGE_DIR") == "" {
		pattern = filepath.Join(vectorsDir, "*", "*.toml")
	}
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no files to judge at %s (%v)", pattern, err)
	}
	p := newParser(t)
	verdicts := make(map[string]verdict, len(files))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var v verdict
		if _, err := p.Parse(data); err == nil {
			v.Accepted = true
		} else {
			var cerr *configcontract.ConfigError
			if !errors.As(err, &cerr) {
				t.Fatalf("%s: refused without a ConfigError: %v", file, err)
			}
			v.Syntax, v.Error = cerr.Syntax, cerr.Error()
		}
		verdicts[filepath.Base(file)] = v
	}
	out := os.Getenv("SCANNER_JUDGE_OUT")
	if out == "" {
		return
	}
	data, err := json.Marshal(verdicts)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
