package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"
)

func TestScanLoopFollowsTheAppliedInterval(t *testing.T) {
	t.Parallel()
	state := NewState("config.toml")
	loop := &ScanLoop{state: state, log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); loop.Run(ctx) }()
	defer func() { cancel(); <-done }()

	time.Sleep(50 * time.Millisecond)
	if n := state.Snapshot().Scans; n != 0 {
		t.Fatalf("%d scans before any config", n)
	}
	slow := &Config{Scanner: Scanner{IntervalS: 3600}}
	state.Apply(&Applied{Config: slow, SHA256: "a", LoadedAt: time.Now()})
	time.Sleep(50 * time.Millisecond)
	// A reload to a short interval must not wait out the hour.
	fast := &Config{Scanner: Scanner{IntervalS: 1}}
	state.Apply(&Applied{Config: fast, SHA256: "b", LoadedAt: time.Now()})
	start := time.Now()
	for state.Snapshot().Scans < 2 {
		if time.Since(start) > applyDeadline {
			t.Fatalf("%d scans after %v at a 1 s interval", state.Snapshot().Scans, time.Since(start))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if elapsed := time.Since(start); elapsed < 2*time.Second-50*time.Millisecond {
		t.Fatalf("2 scans after %v: faster than the 1 s interval", elapsed)
	}
}
