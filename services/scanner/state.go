package main

import (
	"sync/atomic"

	"traderadmin.local/configcontract/live"
)

// Applied is a config the scanner runs on.
type Applied = live.Applied[*Config]

// State is the contract's running-config state (live.State) plus the
// scanner's own counter of scan loops, which /status also reports.
type State struct {
	*live.State[*Config]
	scans atomic.Int64
}

// NewState starts with no config applied.
func NewState(path string) *State {
	return &State{State: live.NewState[*Config](path)}
}

// CountScan records one run of the scan loop.
func (s *State) CountScan() { s.scans.Add(1) }

// Snapshot is a consistent copy of the state for /status and /readyz.
type Snapshot struct {
	live.Snapshot[*Config]
	Scans int64
}

func (s *State) Snapshot() Snapshot {
	return Snapshot{Snapshot: s.State.Snapshot(), Scans: s.scans.Load()}
}
