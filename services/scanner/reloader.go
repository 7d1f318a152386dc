package main

import (
	"log/slog"
	"os"
	"time"

	"traderadmin.local/configcontract/live"
)

// NewReloader wires the contract's reloader (live) to the scanner: its
// parser judges, its config sets the pace and the log settings.
func NewReloader(path string, parser *Parser, state *State, log *slog.Logger, logs *logSettings) (*live.Reloader[*Config], error) {
	defaults, err := live.SchemaTiming(parser.schema)
	if err != nil {
		return nil, err
	}
	return live.NewReloader(path, state.State, live.Options[*Config]{
		Judge: parser.Parse,
		Timing: func(c *Config) live.Timing {
			return live.Timing{
				Debounce: time.Duration(c.Reload.DebounceMS) * time.Millisecond,
				Poll:     time.Duration(c.Reload.PollIntervalS * float64(time.Second)),
			}
		},
		Defaults: defaults,
		Applied:  func(c *Config) { logs.apply(c.Logging) },
		Log:      log,
	}), nil
}

// NewWatcher starts watching the config's directory for the reloader; see
// live.NewWatcher.
func NewWatcher(path string, r live.Reloadable, watch bool, signals <-chan os.Signal, log *slog.Logger) *live.Watcher {
	return live.NewWatcher(path, r, watch, signals, log)
}
