package main

import (
	"io"
	"log/slog"
	"strings"
	"time"
)

// serviceName tags every log line and /status, so logs of both services can
// be read together.
const serviceName = "scanner"

// logTimeFormat is RFC 3339 in UTC with milliseconds: precise enough to order
// reload events, and what the orchestrator writes too.
const logTimeFormat = "2006-01-02T15:04:05.000Z07:00"

// newLogger writes one JSON object per line. The level is a LevelVar because
// logging.level comes from the config and changes on reload.
func newLogger(w io.Writer, level *slog.LevelVar) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.String(slog.TimeKey, a.Value.Time().UTC().Format(logTimeFormat))
			case slog.LevelKey:
				return slog.String(slog.LevelKey, levelName(a.Value.Any().(slog.Level)))
			}
			return a
		},
	})
	return slog.New(h).With("service", serviceName)
}

// levelName uses the lowercase names the orchestrator (Python logging) uses.
func levelName(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return "debug"
	case l < slog.LevelWarn:
		return "info"
	case l < slog.LevelError:
		return "warning"
	}
	return "error"
}

// slogLevel maps logging.level (an enum the schema guards) to slog.
func slogLevel(name string) slog.Level {
	switch strings.ToUpper(name) {
	case "DEBUG":
		return slog.LevelDebug
	case "WARNING":
		return slog.LevelWarn
	case "ERROR":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// formatTime renders timestamps in /status the way they appear in the logs.
func formatTime(t time.Time) string { return t.UTC().Format(logTimeFormat) }
