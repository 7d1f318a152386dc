package main

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

// maxSettleReads bounds how long a reload waits for a file that keeps
// changing; when it gives up, the next event or poll tries again.
const maxSettleReads = 10

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

// Reloader reads, checks and applies the config file. Every trigger (start,
// watch, poll, signal) goes through Reload, which is serialized, so two
// triggers for one change give one reload.
type Reloader struct {
	path     string
	parser   *Parser
	state    *State
	log      *slog.Logger
	logs     *logSettings
	defaults Reload

	mu sync.Mutex
	// lastRejected is the identity of the last refused content: retrying it
	// would only repeat the same rejection, while any other content is tried.
	lastRejected string
}

// NewReloader takes the reload timing from the schema's defaults until a
// config supplies its own.
func NewReloader(path string, parser *Parser, state *State, log *slog.Logger, logs *logSettings) (*Reloader, error) {
	var defaults Reload
	if err := parser.schema.Defaults("reload", &defaults); err != nil {
		return nil, fmt.Errorf("reading reload defaults from the schema: %w", err)
	}
	return &Reloader{path: path, parser: parser, state: state, log: log, logs: logs, defaults: defaults}, nil
}

// Timing returns the reload settings in force.
func (r *Reloader) Timing() Reload {
	if a := r.state.Current(); a != nil {
		return a.Config.Reload
	}
	return r.defaults
}

// Reload applies the file if it holds content not seen before. Content is
// only trusted once two reads one debounce period apart agree: a file being
// rewritten in place can be caught half-written, and a torn read must never
// be applied.
func (r *Reloader) Reload(ctx context.Context, trigger string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.read()
	if r.known(cur) {
		return
	}
	settle := time.Duration(r.Timing().DebounceMS) * time.Millisecond
	for i := 0; ; i++ {
		if i == maxSettleReads {
			r.log.Debug("Config still changing, reload postponed", "trigger", trigger)
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
// writer vouched for it: the file beside it named by vouchPath holds the hash
// of exactly these bytes (the config writer writes it before renaming a
// complete file into place). A torn read cannot match that hash, so nothing
// half-written is applied this way; anything else reports false and takes
// the debounced path. It reports whether the file was vouched for.
func (r *Reloader) ReloadVouched(trigger string) bool {
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

// vouchPath is where an atomic writer may record the hash of the config it
// renames into place (see services/configwriter: VouchPath).
func vouchPath(path string) string {
	dir, name := filepath.Split(path)
	return filepath.Join(dir, "."+name+".sha256")
}

// readVouch returns the hash recorded beside path, or "" when there is none
// or it is not a small regular file.
func readVouch(path string) string {
	p := vouchPath(path)
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
func (r *Reloader) known(f fileState) bool {
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

func (r *Reloader) apply(f fileState, trigger string) {
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
	first := r.state.Apply(&Applied{Config: cfg, SHA256: f.sha, LoadedAt: time.Now()})
	r.lastRejected = ""
	if first {
		attrs := []any{"config_sha256", f.sha}
		if trigger != triggerStart {
			attrs = append(attrs, "trigger", trigger)
		}
		r.log.Info("Config loaded", attrs...)
	} else {
		r.log.Info("Config reloaded", "config_sha256", f.sha, "trigger", trigger)
	}
	// The new level applies from the next line on, so the line announcing
	// a config is never hidden by that same config.
	r.logs.apply(cfg.Logging)
}

// judge parses data. A panic while judging a file is a rejection like any
// other: no file may stop the scanner or leave the reload unanswered.
func (r *Reloader) judge(data []byte) (cfg *Config, err error) {
	defer func() {
		if p := recover(); p != nil {
			cfg, err = nil, fmt.Errorf("internal error while checking the config: %v", p)
		}
	}()
	return r.parser.Parse(data)
}

// reject keeps the running config and records why the file was refused.
// sha is empty when there were no bytes to hash.
func (r *Reloader) reject(f fileState, sha, reason, trigger string) {
	r.lastRejected = f.identity()
	var hashed *string
	if sha != "" {
		hashed = &sha
	}
	r.state.Reject(hashed, reason)
	r.log.Error("Config reload rejected", "config_sha256", hashed, "error", reason, "trigger", trigger)
}

func (r *Reloader) read() fileState {
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
