// Package store saves a config file the way the toolkit does
// (traderadmin/config/store.py), so the app and `invoke config.*` can take
// turns on one file: both hold the same lock (`.config.toml.lock`, an
// flock(2) lock, which Python's filelock also takes), both back up to
// `config.toml.bak` and to `backups/<stem>-<UTC time>-<sha8><suffix>`, and
// both replace the file atomically (temp file, fsync, rename, fsync of the
// folder). A save is all or nothing: the new bytes are staged first, then the
// old ones backed up, and only then renamed into place.
package store

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// DefaultHistory is how many history entries a save keeps, as the toolkit.
const DefaultHistory = 20

// LockTimeout is how long a save waits for another writer, as the toolkit.
const LockTimeout = 30 * time.Second

// BakPath is the single backup of the file before the last save.
func BakPath(path string) string { return path + ".bak" }

// HistoryDir holds the config's history entries.
func HistoryDir(path string) string { return filepath.Join(filepath.Dir(path), "backups") }

// LockPath is the lock file of the file path names (through links, so two
// links to one config share it).
func LockPath(path string) string {
	real := realPath(path)
	return filepath.Join(filepath.Dir(real), "."+filepath.Base(real)+".lock")
}

func realPath(path string) string {
	if r, err := filepath.EvalSymlinks(path); err == nil {
		return r
	}
	return path
}

func stemSuffix(path string) (string, string) {
	name := filepath.Base(path)
	ext := filepath.Ext(name)
	return strings.TrimSuffix(name, ext), ext
}

// entryPattern matches exactly the history entries of the config at path.
func entryPattern(path string) *regexp.Regexp {
	stem, suffix := stemSuffix(path)
	return regexp.MustCompile(`^` + regexp.QuoteMeta(stem) + `-(\d{8}T\d{12}Z)-[0-9a-f]{8}` + regexp.QuoteMeta(suffix) + `$`)
}

// EntryName names a history entry of path holding data, made at t: the
// format of store.py's _entry_path (%Y%m%dT%H%M%S%fZ, microseconds).
func EntryName(path string, data []byte, t time.Time) string {
	stem, suffix := stemSuffix(path)
	t = t.UTC()
	stamp := t.Format("20060102T150405") + fmt.Sprintf("%06dZ", t.Nanosecond()/1000)
	return fmt.Sprintf("%s-%s-%s%s", stem, stamp, Hash(data)[:8], suffix)
}

// Hash is the hex SHA-256 of data, the config's identity.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Entry is one history entry.
type Entry struct {
	// ID is the entry's UTC stamp, the toolkit's stable backup id
	// (`invoke config.restore --backup ID`).
	ID   string
	Name string
	Path string
	Time time.Time
}

// List returns the history of the config at path, newest first.
func List(path string) ([]Entry, error) {
	dir := HistoryDir(path)
	items, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []Entry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the backups folder %s: %w", dir, err)
	}
	re := entryPattern(path)
	out := []Entry{}
	for _, it := range items {
		m := re.FindStringSubmatch(it.Name())
		if m == nil || !it.Type().IsRegular() {
			continue
		}
		t, _ := time.Parse("20060102T150405.000000Z", m[1][:15]+"."+m[1][15:])
		out = append(out, Entry{ID: m[1], Name: it.Name(), Path: filepath.Join(dir, it.Name()), Time: t})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name > out[j].Name })
	return out, nil
}

// Result is what a save did.
type Result struct {
	Changed        bool
	PreviousSHA256 string // "" when there was no file
	SHA256         string
	Backup         string // the history entry made, "" when none
}

// Write replaces the file at path with data: stage, back up old (the bytes
// being replaced; nil when there is no file), rename, prune the history to
// keep entries. Call it holding the lock (Lock).
func Write(path string, old, data []byte, keep int) (Result, error) {
	res := Result{SHA256: Hash(data)}
	if old != nil {
		res.PreviousSHA256 = Hash(old)
		if bytes.Equal(old, data) {
			return res, nil
		}
		if err := requireWritable(path); err != nil {
			return res, err
		}
	}
	removeLeftovers(path)
	staged, err := stage(path, data)
	if err != nil {
		return res, fmt.Errorf("writing %s: %w; nothing was changed", path, err)
	}
	if old != nil {
		entry, err := backup(path, old)
		if err != nil {
			os.Remove(staged)
			return res, err
		}
		res.Backup = entry
	}
	if err := commit(staged, realPath(path)); err != nil {
		os.Remove(staged)
		return res, fmt.Errorf("replacing %s: %w", path, err)
	}
	res.Changed = true
	prune(path, keep)
	return res, nil
}

// requireWritable respects a file its owner made read-only: the rename
// would replace it regardless.
func requireWritable(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if info.Mode().Perm()&0o222 == 0 {
		return fmt.Errorf("%s is read-only (mode %s); nothing was written. Fix: make it writable (chmod u+w %s) if you mean to change it", path, info.Mode().Perm(), path)
	}
	return nil
}

// backup copies old into the history, then to .bak; on failure neither stays.
func backup(path string, old []byte) (string, error) {
	dir := HistoryDir(path)
	madeDir := false
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(dir, 0o755); err != nil {
			return "", fmt.Errorf("could not back up %s: creating %s: %w; nothing was written", path, dir, err)
		}
		madeDir = true
	}
	entry := filepath.Join(dir, EntryName(path, old, time.Now()))
	if err := atomicWrite(entry, old); err != nil {
		if madeDir {
			os.Remove(dir)
		}
		return "", fmt.Errorf("could not back up %s to %s: %w; nothing was written", path, entry, err)
	}
	if err := atomicWrite(BakPath(path), old); err != nil {
		os.Remove(entry)
		if madeDir {
			os.Remove(dir)
		}
		return "", fmt.Errorf("could not back up %s to %s: %w; nothing was written", path, BakPath(path), err)
	}
	return entry, nil
}

func prune(path string, keep int) {
	entries, err := List(path)
	if err != nil || keep < 0 || len(entries) <= keep {
		return
	}
	// The save is done; an entry that cannot go now goes with a later save.
	for _, e := range entries[keep:] {
		os.Remove(e.Path)
	}
}

// tempName names a temp file as the toolkit's atomicfile does
// (.<name>.<hex>.tmp): the services ignore it, and a writer of that file
// knows a leftover of a killed writer by it.
func tempName(target string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+"."+hex.EncodeToString(b)+".tmp")
}

// removeLeftovers removes temp files killed writers of this config, its
// .bak and its history entries left. Only under the lock.
func removeLeftovers(path string) {
	real := realPath(path)
	clean := func(dir string, owned func(string) bool) {
		items, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, it := range items {
			n := it.Name()
			if !strings.HasPrefix(n, ".") || !strings.HasSuffix(n, ".tmp") {
				continue
			}
			inner := strings.TrimSuffix(n[1:], ".tmp")
			i := strings.LastIndex(inner, ".")
			if i <= 0 {
				continue
			}
			if owned(inner[:i]) {
				os.Remove(filepath.Join(dir, n))
			}
		}
	}
	bak := filepath.Base(BakPath(path))
	clean(filepath.Dir(real), func(t string) bool { return t == filepath.Base(real) || t == bak })
	re := entryPattern(path)
	clean(HistoryDir(path), re.MatchString)
}

// stage writes data beside target (through links) and fsyncs it; the file
// keeps target's permissions.
func stage(path string, data []byte) (string, error) {
	target := realPath(path)
	mode := fs.FileMode(0o644)
	if info, err := os.Stat(target); err == nil {
		mode = info.Mode().Perm()
	}
	tmp := tempName(target)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return "", err
	}
	if err := f.Chmod(mode); err == nil {
		_, err = f.Write(data)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			return tmp, nil
		}
	} else {
		f.Close()
	}
	os.Remove(tmp)
	return "", err
}

func commit(tmp, target string) error {
	if err := os.Rename(tmp, target); err != nil {
		return err
	}
	return syncDir(filepath.Dir(target))
}

func atomicWrite(path string, data []byte) error {
	tmp, err := stage(path, data)
	if err != nil {
		return err
	}
	if err := commit(tmp, realPath(path)); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
