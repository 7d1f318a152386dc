package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// What made the scanner look at its config; logged as `trigger`.
const (
	triggerStart  = "start"
	triggerWatch  = "watch"
	triggerPoll   = "poll"
	triggerSignal = "signal"
)

// watchRetry is how often a watch that is down is tried again: soon enough
// that a recreated directory is watched well before the next poll, and only
// a stat while it stays away.
const watchRetry = 100 * time.Millisecond

// Watcher turns file events, a periodic hash check and SIGUSR1 into calls
// of Reloader.Reload, one at a time from a single goroutine.
//
// It watches the config's DIRECTORY, not the file: editors and atomic
// writers replace the file by renaming a temp file over it, and a watch on
// the file would stay on the old inode and go quiet after the first edit.
// Events for other names in the directory (the writers' temp files) are
// ignored, except for a name the config's symlink passes through: a
// ConfigMap volume mounts config.toml -> ..data/config.toml and swaps ..data
// in one rename, which is the only event such an update makes.
//
// When the directory itself is removed or renamed its watch is dead; it is
// set up again every watchRetry until the directory is back, and the file is
// then read at once.
//
// Events are debounced: one save is several events (create, write, chmod,
// rename) and a script may save ten times in a row, so the file is read once
// things have been quiet for reload.debounce_ms. The exception is a file its
// writer vouched for (Reloader.ReloadVouched): the config writer records the
// hash of a complete file before renaming it into place, and bytes with that
// hash are applied as soon as the rename is seen.
//
// The poll re-hashes the file every reload.poll_interval_s because events
// can be lost: inotify does not cross host-to-VM file sharing, and a watch
// can fail or overflow. A rehash of unchanged content costs one read.
type Watcher struct {
	reloader *Reloader
	dir      string
	base     string
	watch    bool
	signals  <-chan os.Signal
	log      *slog.Logger

	fsw        *fsnotify.Watcher
	watchError string
}

// NewWatcher prepares the triggers for the config at path and starts
// watching its directory at once. Create it before the first load: a change
// made after the watch exists is then seen, one made before is read by the
// first load, and none falls in between. With watch false no file events are
// used and only the poll and signals remain. Close releases the watch.
func NewWatcher(path string, r *Reloader, watch bool, signals <-chan os.Signal, log *slog.Logger) *Watcher {
	w := &Watcher{
		reloader: r,
		dir:      filepath.Dir(path),
		base:     filepath.Base(path),
		watch:    watch,
		signals:  signals,
		log:      log,
	}
	w.ensureWatch()
	return w
}

// Close releases the directory watch.
func (w *Watcher) Close() { w.closeWatch() }

// Run serves the triggers until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	timing := w.reloader.Timing()
	poll := time.NewTicker(seconds(timing.PollIntervalS))
	defer poll.Stop()
	retry := time.NewTimer(watchRetry)
	defer retry.Stop()
	if !w.watch || w.fsw != nil {
		retry.Stop()
	}

	for {
		var events chan fsnotify.Event
		var errs chan error
		if w.fsw != nil {
			events, errs = w.fsw.Events, w.fsw.Errors
		}
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				w.lostWatch("the event channel closed")
				retry.Reset(watchRetry)
				continue
			}
			if ev.Name == w.dir && ev.Has(fsnotify.Remove|fsnotify.Rename) {
				w.lostWatch("the directory was removed or renamed")
				retry.Reset(watchRetry)
				// The file went with it: report that now, not at the next poll.
				debounce.Reset(time.Duration(w.reloader.Timing().DebounceMS) * time.Millisecond)
				continue
			}
			if w.concerns(filepath.Base(ev.Name)) && !w.reloader.ReloadVouched(triggerWatch) {
				debounce.Reset(time.Duration(w.reloader.Timing().DebounceMS) * time.Millisecond)
			}
			continue
		case err, ok := <-errs:
			if !ok {
				w.lostWatch("the error channel closed")
				retry.Reset(watchRetry)
				continue
			}
			// An overflow means events were dropped; the poll covers them.
			w.log.Error("Config watch error", "dir", w.dir, "error", err.Error())
			continue
		case <-retry.C:
			if !w.ensureWatch() {
				retry.Reset(watchRetry)
				continue
			}
			// Whatever changed while no watch was running is read now.
			debounce.Reset(time.Duration(w.reloader.Timing().DebounceMS) * time.Millisecond)
			continue
		case <-debounce.C:
			w.reloader.Reload(ctx, triggerWatch)
		case <-poll.C:
			w.reloader.Reload(ctx, triggerPoll)
		case <-w.signals:
			w.reloader.Reload(ctx, triggerSignal)
		}
		if next := w.reloader.Timing(); next.PollIntervalS != timing.PollIntervalS {
			poll.Reset(seconds(next.PollIntervalS))
			timing = next
		}
	}
}

// concerns reports whether an event for name, in the config's directory,
// may change what the config path reads: the config's own name, or a name
// its symlinks pass through (a ConfigMap's ..data).
func (w *Watcher) concerns(name string) bool {
	if name == w.base {
		return true
	}
	p := filepath.Join(w.dir, w.base)
	for range 8 { // a link to a link, within reason
		target, err := os.Readlink(p)
		if err != nil || filepath.IsAbs(target) {
			return false
		}
		first, _, _ := strings.Cut(filepath.ToSlash(target), "/")
		if first == "" || first == "." || first == ".." {
			return false
		}
		if first == name {
			return true
		}
		p = filepath.Join(filepath.Dir(p), target)
	}
	return false
}

// ensureWatch (re)creates the directory watch when it is wanted and absent,
// e.g. when the directory did not exist yet at start, and reports whether
// it did so now.
func (w *Watcher) ensureWatch() bool {
	if !w.watch || w.fsw != nil {
		return false
	}
	// A missing directory needs no watcher to find out: only a stat per retry.
	_, err := os.Stat(w.dir)
	var fsw *fsnotify.Watcher
	if err == nil {
		fsw, err = fsnotify.NewWatcher()
		if err != nil {
			err = fmt.Errorf("creating a watcher: %w", err)
		}
	}
	if err == nil {
		err = fsw.Add(w.dir)
		if err != nil {
			fsw.Close()
			err = fmt.Errorf("watching %q: %w", w.dir, err)
		}
	}
	if err != nil {
		// Logged once per distinct reason, not on every retry.
		if msg := err.Error(); msg != w.watchError {
			w.watchError = msg
			w.log.Error("Config watch unavailable, relying on the periodic check", "dir", w.dir, "error", msg)
		}
		return false
	}
	w.fsw = fsw
	if w.watchError != "" {
		w.watchError = ""
		w.log.Info("Config watch restored", "dir", w.dir)
	}
	return true
}

// lostWatch drops a watch that no longer reports anything; the retry timer
// sets it up again.
func (w *Watcher) lostWatch(why string) {
	w.closeWatch()
	w.watchError = "watch lost: " + why
	w.log.Error("Config watch lost, relying on the periodic check", "dir", w.dir, "error", w.watchError)
}

func (w *Watcher) closeWatch() {
	if w.fsw != nil {
		w.fsw.Close()
		w.fsw = nil
	}
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
