package live

import (
	"sync"
	"sync/atomic"
	"time"
)

// Applied is a config a service runs on: the typed settings, the SHA-256 of
// the exact bytes they came from, and when they took effect.
type Applied[T any] struct {
	Config   T
	SHA256   string
	LoadedAt time.Time
}

// State is the config a service runs on plus the reload bookkeeping that
// /status reports. The config sits behind an atomic pointer so the service's
// loops read it without locks and always see one whole config, never a mix
// of two.
type State[T any] struct {
	path    string
	current atomic.Pointer[Applied[T]]

	mu        sync.Mutex
	reloads   int
	rejected  int
	lastError *string
	// The hash of the bytes last refused (nil: none, or no bytes to hash), so
	// the toolkit can tell "rejected my config" from "has not seen it yet".
	lastRejected *string
	changed      chan struct{}
}

// NewState starts with no config applied.
func NewState[T any](path string) *State[T] {
	return &State[T]{path: path, changed: make(chan struct{})}
}

// Current returns the applied config, or nil before the first valid one.
func (s *State[T]) Current() *Applied[T] { return s.current.Load() }

// Changed returns a channel that is closed when the next config is applied,
// so loops paced by a setting can pick up its new value at once.
func (s *State[T]) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Apply swaps in a new config and reports whether it is the first one.
func (s *State[T]) Apply(a *Applied[T]) (first bool) {
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
func (s *State[T]) Reject(sha *string, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected++
	s.lastError = &reason
	s.lastRejected = sha
}

// ClearError forgets the last rejection once the file is back to the bytes
// already running, so /status does not blame a file that is no longer there.
func (s *State[T]) ClearError() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastError = nil
	s.lastRejected = nil
}

// Snapshot is a consistent copy of the state.
type Snapshot[T any] struct {
	Path         string
	Applied      *Applied[T]
	Reloads      int
	Rejected     int
	LastError    *string
	LastRejected *string
}

func (s *State[T]) Snapshot() Snapshot[T] {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Snapshot[T]{
		Path:         s.path,
		Applied:      s.current.Load(),
		Reloads:      s.reloads,
		Rejected:     s.rejected,
		LastError:    s.lastError,
		LastRejected: s.lastRejected,
	}
}

// Status holds the /status fields every service shares (CONTRACT.md); a
// service embeds it in its own document and adds "service" and its own
// counters.
type Status struct {
	ConfigPath   string  `json:"config_path"`
	ConfigSHA256 *string `json:"config_sha256"`
	LoadedAt     *string `json:"loaded_at"`
	Reloads      int     `json:"reloads"`
	Rejected     int     `json:"rejected"`
	LastError    *string `json:"last_error"`
	// LastRejectedSHA256 is the hash of the bytes last refused, until a
	// config is applied.
	LastRejectedSHA256 *string `json:"last_rejected_sha256"`
	Config             any     `json:"config"`
}

// TimeFormat is how /status and the services' logs write a moment: UTC,
// RFC 3339 with milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Status returns the shared /status fields of this snapshot.
func (s Snapshot[T]) Status() Status {
	st := Status{
		ConfigPath:         s.Path,
		Reloads:            s.Reloads,
		Rejected:           s.Rejected,
		LastError:          s.LastError,
		LastRejectedSHA256: s.LastRejected,
	}
	if a := s.Applied; a != nil {
		sha, at := a.SHA256, a.LoadedAt.UTC().Format(TimeFormat)
		st.ConfigSHA256, st.LoadedAt, st.Config = &sha, &at, a.Config
	}
	return st
}

// Ready reports whether a config runs and, when not, why (for /readyz).
func (s Snapshot[T]) Ready() (bool, string) {
	if s.Applied != nil {
		return true, ""
	}
	if s.LastError != nil {
		return false, *s.LastError
	}
	return false, "no valid config has been applied yet"
}
