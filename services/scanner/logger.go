package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"

	"traderadmin.local/configcontract/live"
)

// serviceName tags every log line and /status, so logs of both services can
// be read together.
const serviceName = "scanner"

// logTimeFormat is RFC 3339 in UTC with milliseconds: precise enough to order
// reload events, and what the orchestrator writes too.
const logTimeFormat = live.TimeFormat

// logSettings are logging.level and logging.format: they come from the config
// and change on reload, so every logger reads them at each line.
type logSettings struct {
	level slog.LevelVar
	text  atomic.Bool
}

// apply takes a new config's logging section.
func (s *logSettings) apply(l Logging) {
	s.level.Set(slogLevel(l.Level))
	s.text.Store(l.Format == "text")
}

// newLogger writes one JSON object per line until a config asks for text, so
// the lines before the first load can always be parsed.
func newLogger(w io.Writer, settings *logSettings) *slog.Logger {
	opts := &slog.HandlerOptions{
		Level: &settings.level,
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
	}
	h := &switchHandler{json: slog.NewJSONHandler(w, opts), text: slog.NewTextHandler(w, opts), useText: &settings.text}
	return slog.New(h).With("service", serviceName)
}

// switchHandler writes each record with the handler logging.format names now.
type switchHandler struct {
	json, text slog.Handler
	useText    *atomic.Bool
}

func (h *switchHandler) current() slog.Handler {
	if h.useText.Load() {
		return h.text
	}
	return h.json
}

func (h *switchHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.current().Enabled(ctx, l)
}

func (h *switchHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.current().Handle(ctx, r)
}

func (h *switchHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &switchHandler{json: h.json.WithAttrs(attrs), text: h.text.WithAttrs(attrs), useText: h.useText}
}

func (h *switchHandler) WithGroup(name string) slog.Handler {
	return &switchHandler{json: h.json.WithGroup(name), text: h.text.WithGroup(name), useText: h.useText}
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
