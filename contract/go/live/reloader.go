package live

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"traderadmin.local/configcontract"
)

// What made a service look at its config; logged as `trigger`.
const (
	TriggerStart  = "start"
	TriggerWatch  = "watch"
	TriggerPoll   = "poll"
	TriggerSignal = "signal"
)

// maxSettleReads bounds how long a reload waits for a file that keeps
// changing; when it gives up, the next event or poll tries again.
const maxSettleReads = 10

// Timing is the pace of reloading: quiet time after a change before the
// file is read, and the interval of the hash check that catches what the
// watch missed (the schema's reload.debounce_ms and reload.poll_interval_s).
type Timing struct {
	Debounce time.Duration
	Poll     time.Duration
}

// SchemaTiming is the timing the schema's defaults give, for the time
// before a first config is applied.
func SchemaTiming(s *configcontract.Schema) (Timing, error) {
	var d struct {
		DebounceMS    int     `json:"debounce_ms"`
		PollIntervalS float64 `json:"poll_interval_s"`
	}
	if err := s.Defaults("reload", &d); err != nil {
		return Timing{}, fmt.Errorf("reading reload defaults from the schema: %w", err)
	}
	return Timing{Debounce: time.Duration(d.DebounceMS) * time.Millisecond, Poll: time.Duration(d.PollIntervalS * float64(time.Second))}, nil
}

// Options are what a service brings to the reloader.
type Options[T any] struct {
	// Judge turns bytes into the typed config or refuses them; its error
	// text is what /status and the log report. A panic in it is a refusal.
	Judge func(data []byte) (T, error)
	// Timing reads the reload pace from a running config.
	Timing func(T) Timing
	// Defaults is the pace before any config runs (see SchemaTiming).
	Defaults Timing
	// Applied runs after a config is swapped in and its log line written
	// (e.g. to switch the log level), never concurrently with itself.
	Applied func(T)
	Log     *slog.Logger
}

// fileState is what the config path holds at one moment.
type fileState struct {
	data    []byte
	sha     string
	missing bool
	err     error
}

// identity tells two fileStates apart: the content hash, or why there is no
// content, so that a missing or unreadable file is also "seen before".
func (f fileState) identity() string {
	switch {
	case f.missing:
		return "missing"
	case f.err != nil:
		return "unreadable: " + f.err.Error()
	}
	return f.sha
}

// Reloader reads, judges and applies the config file. Every trigger (start,
// watch, poll, signal) goes through Reload, which is serialized, so two
// triggers for one change give one reload.
type Reloader[T any] struct {
	path  string
	state *State[T]
	opts  Options[T]

	mu sync.Mutex
	// lastRejected is the identity of the last refused content: retrying it
	// would only repeat the same rejection, while any other content is tried.
	lastRejected string
}

// NewReloader prepares reloading the config at path into state.
func NewReloader[T any](path string, state *State[T], opts Options[T]) *Reloader[T] {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return &Reloader[T]{path: path, state: state, opts: opts}
}

// Timing returns the reload pace in force.
func (r *Reloader[T]) Timing() Timing {
	if a := r.state.Current(); a != nil && r.opts.Timing != nil {
		return r.opts.Timing(a.Config)
	}
	return r.opts.Defaults
}

// Reload applies the file if it holds content not seen before. Content is
// only trusted once two reads one debounce period apart agree: a file being
// rewritten in place can be caught half-written, and a torn read must never
// be applied.
func (r *Reloader[T]) Reload(ctx context.Context, trigger string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.read()
	if r.known(cur) {
		return
	}
	settle := r.Timing().Debounce
	for i := 0; ; i++ {
		if i == maxSettleReads {
			r.opts.Log.Debug("Config still changing, reload postponed", "trigger", trigger)
			return
		}
		if !sleep(ctx, settle) {
			return
		}
		next := r.read()
		if next.identity() == cur.identity() {
			break
		}
		cur = next
		if r.known(cur) {
			return
		}
	}
	r.apply(cur, trigger)
}

// ReloadVouched applies the file at once, without the settle reads, when its
// writer vouched for it: the file VouchPath names holds the hash of exactly
// these bytes (the config writer writes it before renaming a complete file
// into place). A torn read cannot match that hash, so nothing half-written
// is applied this way; anything else reports false and takes the debounced
// path. It reports whether the file was vouched for.
func (r *Reloader[T]) ReloadVouched(trigger string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.read()
	if cur.missing || cur.err != nil || readVouch(r.path) != cur.sha {
		return false
	}
	if !r.known(cur) {
		r.apply(cur, trigger)
	}
	return true
}

// VouchPath is where an atomic writer may record the SHA-256 of the config
// it is about to rename into place: `.NAME.sha256` beside it.
func VouchPath(path string) string {
	dir, name := filepath.Split(path)
	return filepath.Join(dir, "."+name+".sha256")
}

// readVouch returns the hash recorded beside path, or "" when there is none
// or it is not a small regular file.
func readVouch(path string) string {
	p := VouchPath(path)
	info, err := os.Lstat(p)
	if err != nil || !info.Mode().IsRegular() || info.Size() > 128 {
		return ""
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// known reports content that needs no action: what already runs, or what
// was last refused.
func (r *Reloader[T]) known(f fileState) bool {
	id := f.identity()
	if a := r.state.Current(); a != nil && id == a.SHA256 {
		if r.lastRejected != "" {
			r.lastRejected = ""
			r.state.ClearError()
		}
		return true
	}
	return id == r.lastRejected
}

func (r *Reloader[T]) apply(f fileState, trigger string) {
	switch {
	case f.missing:
		r.reject(f, "", fmt.Sprintf("config file missing: %s", r.path), trigger)
		return
	case f.err != nil:
		r.reject(f, "", fmt.Sprintf("reading config: %v", f.err), trigger)
		return
	}
	cfg, err := r.judge(f.data)
	if err != nil {
		r.reject(f, f.sha, err.Error(), trigger)
		return
	}
	first := r.state.Apply(&Applied[T]{Config: cfg, SHA256: f.sha, LoadedAt: time.Now()})
	r.lastRejected = ""
	if first {
		attrs := []any{"config_sha256", f.sha}
		if trigger != TriggerStart {
			attrs = append(attrs, "trigger", trigger)
		}
		r.opts.Log.Info("Config loaded", attrs...)
	} else {
		r.opts.Log.Info("Config reloaded", "config_sha256", f.sha, "trigger", trigger)
	}
	// After the line announcing the config, so that line is never hidden
	// by a log level the same config sets.
	if r.opts.Applied != nil {
		r.opts.Applied(cfg)
	}
}

// judge runs the service's judge. A panic while judging a file is a
// rejection like any other: no file may stop a service or leave the reload
// unanswered.
func (r *Reloader[T]) judge(data []byte) (cfg T, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			cfg, err = zero, fmt.Errorf("internal error while checking the config: %v", p)
		}
	}()
	return r.opts.Judge(data)
}

// reject keeps the running config and records why the file was refused.
// sha is empty when there were no bytes to hash.
func (r *Reloader[T]) reject(f fileState, sha, reason, trigger string) {
	r.lastRejected = f.identity()
	var hashed *string
	if sha != "" {
		hashed = &sha
	}
	r.state.Reject(hashed, reason)
	r.opts.Log.Error("Config reload rejected", "config_sha256", hashed, "error", reason, "trigger", trigger)
}

func (r *Reloader[T]) read() fileState {
	data, err := configcontract.ReadFile(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		return fileState{missing: true}
	}
	if err != nil {
		return fileState{err: err}
	}
	return fileState{data: data, sha: configcontract.Hash(data)}
}

// sleep waits d or until ctx ends; it reports whether the full wait passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
