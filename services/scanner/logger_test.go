package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestLogFormatFollowsTheConfig(t *testing.T) {
	tests := []struct {
		format   string
		wantJSON bool
	}{
		{"json", true},
		{"text", false},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			var buf bytes.Buffer
			settings := new(logSettings)
			log := newLogger(&buf, settings)
			settings.apply(Logging{Level: "INFO", Format: tc.format})
			log.Info("Config reloaded", "config_sha256", "ab12", "trigger", "watch")
			line := strings.TrimSpace(buf.String())
			var record map[string]any
			isJSON := json.Unmarshal([]byte(line), &record) == nil
			if isJSON != tc.wantJSON {
				t.Fatalf("format %s wrote %q", tc.format, line)
			}
			if !strings.Contains(line, "Config reloaded") || !strings.Contains(line, "ab12") || !strings.Contains(line, "scanner") {
				t.Fatalf("line lacks the message, hash or service: %q", line)
			}
		})
	}
}

func TestLogLevelFollowsTheConfig(t *testing.T) {
	var buf bytes.Buffer
	settings := new(logSettings)
	log := newLogger(&buf, settings)
	settings.apply(Logging{Level: "ERROR", Format: "json"})
	log.Info("hidden")
	log.Error("shown")
	if got := buf.String(); strings.Contains(got, "hidden") || !strings.Contains(got, "shown") {
		t.Fatalf("level ERROR wrote %q", got)
	}
}
