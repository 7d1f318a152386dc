// Package watch tells when a config file's bytes change on disk. It watches
// the file's folder, not the file: editors and atomic writers (the toolkit,
// the app itself) replace the file by rename, and a watch on the old inode
// would go quiet. A slow hash check catches what no event reported (a
// folder removed and made again, file systems without inotify).
package watch

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Debounce is the quiet time after the last event before the file is read:
// a writer's temp file, rename and folder sync arrive within a few ms.
const Debounce = 50 * time.Millisecond

// Poll is the period of the fallback hash check.
const Poll = 2 * time.Second

// Watcher calls back with the new SHA-256 ("" when the file is gone)
// whenever the file's content changes.
type Watcher struct {
	path    string
	changed func(sha string)
	fs      *fsnotify.Watcher
	done    chan struct{}
	once    sync.Once

	mu      sync.Mutex
	last    string
	watched bool
}

// New starts watching path.
func New(path string, changed func(sha string)) (*Watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	w := &Watcher{path: path, changed: changed, fs: fw, done: make(chan struct{}), last: hashOf(path)}
	w.rewatch()
	go w.loop()
	return w, nil
}

// Close stops the watch.
func (w *Watcher) Close() {
	w.once.Do(func() {
		close(w.done)
		w.fs.Close()
	})
}

func (w *Watcher) rewatch() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.watched {
		return
	}
	w.watched = w.fs.Add(filepath.Dir(w.path)) == nil
}

func (w *Watcher) loop() {
	poll := time.NewTicker(Poll)
	defer poll.Stop()
	var debounce <-chan time.Time
	name := filepath.Base(w.path)
	for {
		select {
		case <-w.done:
			return
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			if filepath.Base(ev.Name) == name {
				debounce = time.After(Debounce)
			}
			if ev.Name == filepath.Dir(w.path) && ev.Op&(fsnotify.Remove|fsnotify.Rename) != 0 {
				w.mu.Lock()
				w.watched = false
				w.mu.Unlock()
			}
		case _, ok := <-w.fs.Errors:
			if !ok {
				return
			}
		case <-debounce:
			debounce = nil
			w.check()
		case <-poll.C:
			// The folder may have been removed and made again: watch it anew.
			w.mu.Lock()
			if w.watched {
				if _, err := os.Stat(filepath.Dir(w.path)); err != nil {
					w.fs.Remove(filepath.Dir(w.path))
					w.watched = false
				}
			}
			w.mu.Unlock()
			w.rewatch()
			w.check()
		}
	}
}

func (w *Watcher) check() {
	sha := hashOf(w.path)
	w.mu.Lock()
	changed := sha != w.last
	w.last = sha
	w.mu.Unlock()
	if changed {
		w.changed(sha)
	}
}

func hashOf(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
