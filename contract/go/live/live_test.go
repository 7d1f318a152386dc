package live

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// toy is a config type for these tests: a file is good when it starts with
// "ok", and "panic" makes the judge panic.
func toyJudge(data []byte) (string, error) {
	s := string(data)
	switch {
	case strings.HasPrefix(s, "panic"):
		panic("judge blew up")
	case strings.HasPrefix(s, "ok"):
		return s, nil
	}
	return "", errors.New("not ok: " + s)
}

var fast = Timing{Debounce: 20 * time.Millisecond, Poll: time.Hour}

func newToy(t *testing.T, path string, log io.Writer) (*State[string], *Reloader[string]) {
	return newToyTimed(t, path, log, fast)
}

func newToyTimed(t *testing.T, path string, log io.Writer, timing Timing) (*State[string], *Reloader[string]) {
	t.Helper()
	st := NewState[string](path)
	return st, NewReloader(path, st, Options[string]{
		Judge: toyJudge, Defaults: timing, Log: slog.New(slog.NewJSONHandler(log, nil)),
	})
}

func write(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestReloadSteps(t *testing.T) {
	// Each step writes a file (or removes it) and reloads; the table says
	// what runs afterwards and what /status reports.
	steps := []struct {
		name      string
		content   string // "" removes the file
		running   string
		reloads   int
		rejected  int
		lastError string // substring; "" means none
	}{
		{"first good file", "ok 1", "ok 1", 0, 0, ""},
		{"a bad file keeps the running one", "bad", "ok 1", 0, 1, "not ok: bad"},
		{"the same bad file is not judged again", "bad", "ok 1", 0, 1, "not ok: bad"},
		{"back to the running bytes clears the error", "ok 1", "ok 1", 0, 1, ""},
		{"a panicking judge is a rejection", "panic", "ok 1", 0, 2, "internal error while checking the config: judge blew up"},
		{"a missing file is a rejection", "", "ok 1", 0, 3, "config file missing"},
		{"the next good file is applied", "ok 2", "ok 2", 1, 3, ""},
	}
	path := filepath.Join(t.TempDir(), "config.toml")
	st, r := newToy(t, path, io.Discard)
	for _, s := range steps {
		if s.content == "" {
			os.Remove(path)
		} else {
			write(t, path, s.content)
		}
		r.Reload(context.Background(), TriggerSignal)
		snap := st.Snapshot()
		if snap.Applied == nil || snap.Applied.Config != s.running {
			t.Fatalf("%s: running %+v, want %q", s.name, snap.Applied, s.running)
		}
		if snap.Reloads != s.reloads || snap.Rejected != s.rejected {
			t.Fatalf("%s: reloads %d rejected %d, want %d and %d", s.name, snap.Reloads, snap.Rejected, s.reloads, s.rejected)
		}
		got := ""
		if snap.LastError != nil {
			got = *snap.LastError
		}
		if (s.lastError == "") != (got == "") || !strings.Contains(got, s.lastError) {
			t.Fatalf("%s: last error %q, want %q", s.name, got, s.lastError)
		}
	}
}

func TestStatusFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	st, r := newToy(t, path, io.Discard)
	write(t, path, "nope")
	r.Reload(context.Background(), TriggerStart)
	if ok, why := st.Snapshot().Ready(); ok || !strings.Contains(why, "not ok") {
		t.Fatalf("ready %v (%q) with only a refused file", ok, why)
	}
	write(t, path, "ok")
	r.Reload(context.Background(), TriggerSignal)
	raw, err := json.Marshal(st.Snapshot().Status())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	json.Unmarshal(raw, &got)
	for _, key := range []string{"config_path", "config_sha256", "loaded_at", "reloads", "rejected", "last_error", "last_rejected_sha256", "config"} {
		if _, ok := got[key]; !ok {
			t.Errorf("/status lacks %q: %s", key, raw)
		}
	}
	if got["config_sha256"] != "2689367b205c16ce32ed4200942b8b8b1e262dfc70d9bc9fbc77c49699a4f1df" || got["config"] != "ok" {
		t.Errorf("status %s", raw)
	}
	if at, _ := got["loaded_at"].(string); !strings.HasSuffix(at, "Z") {
		t.Errorf("loaded_at %q is not UTC RFC 3339", at)
	}
}

// runWatcher runs a watch-only watcher (the poll never fires) until the test ends.
func runWatcher(t *testing.T, path string) (*State[string], *bytes.Buffer) {
	return runWatcherTimed(t, path, fast)
}

func runWatcherTimed(t *testing.T, path string, timing Timing) (*State[string], *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	st, r := newToyTimed(t, path, &log, timing)
	w := NewWatcher(path, r, true, nil, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	r.Reload(ctx, TriggerStart)
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; w.Close() })
	return st, &log
}

func waitRunning(t *testing.T, st *State[string], want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if a := st.Current(); a != nil && a.Config == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("still running %+v, want %q", st.Current(), want)
}

func TestWatchComesBackWithTheDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "config")
	os.Mkdir(dir, 0o755)
	path := filepath.Join(dir, "config.toml")
	write(t, path, "ok 1")
	st, _ := runWatcher(t, path)
	waitRunning(t, st, "ok 1")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	os.Mkdir(dir, 0o755)
	write(t, path, "ok 2")
	waitRunning(t, st, "ok 2")
	write(t, path, "ok 3") // the restored watch, not a one-off look
	waitRunning(t, st, "ok 3")
}

func TestWatchFollowsADataSymlinkFlip(t *testing.T) {
	// A ConfigMap volume: config.toml -> ..data/config.toml, ..data -> a
	// timestamped folder, swapped in one rename.
	dir := t.TempDir()
	flip := func(name, content string) {
		os.Mkdir(filepath.Join(dir, name), 0o755)
		os.WriteFile(filepath.Join(dir, name, "config.toml"), []byte(content), 0o644)
		os.Symlink(name, filepath.Join(dir, "..data_tmp"))
		if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	flip("..v1", "ok 1")
	path := filepath.Join(dir, "config.toml")
	os.Symlink("..data/config.toml", path)
	st, _ := runWatcher(t, path)
	waitRunning(t, st, "ok 1")
	flip("..v2", "ok 2")
	waitRunning(t, st, "ok 2")
}

func TestReloadVouched(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	st, r := newToy(t, path, io.Discard)
	vouch := func(sum string) {
		if err := os.WriteFile(VouchPath(path), []byte(sum+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name    string
		content string
		vouch   string // "" writes no record
		taken   bool
		running string
	}{
		{"no record", "ok 1", "", false, ""},
		{"a record of these bytes", "ok 1", "sha:ok 1", true, "ok 1"},
		{"a stale record", "ok 2", "sha:ok 1", false, "ok 1"},
		{"a record of a torn read's whole", "ok 3 half", "sha:ok 3 whole", false, "ok 1"},
		{"a vouched bad file is judged and refused", "bad", "sha:bad", true, "ok 1"},
	}
	for _, c := range cases {
		os.Remove(VouchPath(path))
		if c.vouch != "" {
			vouch(sum(strings.TrimPrefix(c.vouch, "sha:")))
		}
		write(t, path, c.content)
		if got := r.ReloadVouched(TriggerWatch); got != c.taken {
			t.Fatalf("%s: ReloadVouched = %v, want %v", c.name, got, c.taken)
		}
		running := ""
		if a := st.Current(); a != nil {
			running = a.Config
		}
		if running != c.running {
			t.Fatalf("%s: running %q, want %q", c.name, running, c.running)
		}
	}
	if st.Snapshot().Rejected != 1 {
		t.Fatalf("rejected %d, want the vouched bad file only", st.Snapshot().Rejected)
	}
}

func TestAVouchedWriteBeatsTheDebounce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	write(t, path, "ok 1")
	st, _ := runWatcherTimed(t, path, Timing{Debounce: 3 * time.Second, Poll: time.Hour})
	os.WriteFile(VouchPath(path), []byte(sum("ok 2")), 0o644)
	start := time.Now()
	write(t, path, "ok 2")
	waitRunning(t, st, "ok 2")
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Fatalf("a vouched write took %v, as long as the 3 s debounce", took)
	}
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
