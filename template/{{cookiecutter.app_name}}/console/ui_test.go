package console

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"traderadmin.local/console/cluster"
)

func TestReportUIWritesTheStateForTheTest(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ui.json")
	c := New(Options{UIStateFile: file})
	state := UIState{Tab: "trading", Errors: map[string]string{"trading.max_positions": "0 is less than the minimum of 1"},
		LastPush: &cluster.PushResult{SHA256: "abc", OK: true}, Rects: map[string]Rect{"save": {X: 1, Y: 2, W: 3, H: 4}}}
	if err := c.ReportUI(state); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	data, _ := os.ReadFile(file)
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back["tab"] != "trading" || back["rects"].(map[string]any)["save"].(map[string]any)["w"] != 3.0 ||
		back["lastPush"].(map[string]any)["sha256"] != "abc" {
		t.Fatalf("state %s", data)
	}
	if err := New(Options{}).ReportUI(state); err != nil {
		t.Fatal("without a file ReportUI must do nothing")
	}
}
