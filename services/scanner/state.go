package main

import (
	"sync"
	"sync/atomic"
	"time"
)

// Applied is a config the scanner runs on: the typed settings, the SHA-256
// of the exact bytes they came from, and when they took effect.
type Applied struct {
	Config   *Config
	SHA256   string
	LoadedAt time.Time
}

// State is what the scanner currently runs on plus the reload bookkeeping
// that /status reports. The config itself sits behind an atomic pointer so
// the scan loop reads it without locks and always sees one whole config,
// never a mix of two.
type State struct {
	path    string
	current atomic.Pointer[Applied]
	scans   atomic.Int64

	mu        sync.Mutex
	reloads   int
	rejected  int
	lastError *string
	// The hash of the bytes last refused (nil: none, or no bytes to hash), so the
	// toolkit can tell "rejected my config" from "has not seen it yet".
	lastRejected *string
	changed      chan struct{}
}

// NewState starts with no config applied.
func NewState(path string) *State {
	return &State{path: path, changed: make(chan struct{})}
}

// Current returns the applied config, or nil before the first valid one.
func (s *State) Current() *Applied { return s.current.Load() }

// Changed returns a channel that is closed when the next config is applied,
// so loops paced by a setting can pick up its new value at once.
func (s *State) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Apply swaps in a new config and reports whether it is the first one.
func (s *State) Apply(a *Applied) (first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	first = s.current.Swap(a) == nil
	if !first {
		s.reloads++
	}
	s.lastError = nil
	s.lastRejected = nil
	close(s.changed)
	s.changed = make(chan struct{})
	return first
}

// Reject records why a config was refused (sha is nil when there were no
// bytes); the applied one stays.
func (s *State) Reject(sha *string, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected++
	s.lastError = &reason
	s.lastRejected = sha
}

// ClearError forgets the last rejection once the file is back to the bytes
// already running, so /status does not blame a file that is no longer there.
func (s *State) ClearError() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastError = nil
	s.lastRejected = nil
}

// CountScan records one run of the scan loop.
func (s *State) CountScan() { s.scans.Add(1) }

// Snapshot is a consistent copy of the state for /status and /readyz.
type Snapshot struct {
	Path         string
	Applied      *Applied
	Reloads      int
	Rejected     int
	LastError    *string
	LastRejected *string
	Scans        int64
}

func (s *State) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Snapshot{
		Path:         s.path,
		Applied:      s.current.Load(),
		Reloads:      s.reloads,
		Rejected:     s.rejected,
		LastError:    s.lastError,
		LastRejected: s.lastRejected,
		Scans:        s.scans.Load(),
	}
}
