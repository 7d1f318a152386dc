package main

import (
	"context"
	"log/slog"
	"time"
)

// ScanLoop runs the scan loop at scanner.interval_s. It has no market data
// connection yet, so a scan only records that it ran and what it would
// cover; the loop, its pacing and its reaction to reloads are real.
type ScanLoop struct {
	state *State
	log   *slog.Logger
}

// Run scans until ctx ends. It waits for the first valid config, and a
// reload that changes the interval takes effect at once rather than after
// the old interval has run out.
func (s *ScanLoop) Run(ctx context.Context) {
	var last time.Time
	for {
		changed := s.state.Changed()
		applied := s.state.Current()
		if applied == nil {
			select {
			case <-ctx.Done():
				return
			case <-changed:
				continue
			}
		}
		interval := seconds(applied.Config.Scanner.IntervalS)
		wait := interval
		if !last.IsZero() {
			wait = time.Until(last.Add(interval))
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-changed:
			timer.Stop()
			continue
		case <-timer.C:
		}
		last = time.Now()
		s.scan(s.state.Current().Config)
	}
}

func (s *ScanLoop) scan(cfg *Config) {
	s.state.CountScan()
	var strategies []string
	if cfg.Strategies.HighBase.Enabled {
		strategies = append(strategies, "high_base")
	}
	s.log.Debug("Scan", "symbols", len(cfg.Scanner.Universe), "workers", cfg.Scanner.Workers, "strategies", strategies)
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
