//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"traderadmin.local/configcontract/live"
)

// Files that once crashed or wedged the scanner, put where the config is
// while it runs: each must be rejected and reported, the last good config
// kept, and the next good file applied (the reloader is not stuck).

// hostileFiles puts a hostile file at path; the string is what last_error
// must mention, and hashed tells whether there are bytes to hash.
var hostileFiles = []struct {
	name   string
	put    func(t *testing.T, path string)
	want   string
	hashed bool
}{
	{"FIFO", func(t *testing.T, path string) {
		replaceWith(t, path, func(tmp string) error { return syscall.Mkfifo(tmp, 0o644) })
	}, "named pipe (FIFO)", false},
	{"symlink to /dev/zero", func(t *testing.T, path string) {
		replaceWith(t, path, func(tmp string) error { return os.Symlink("/dev/zero", tmp) })
	}, "character device", false},
	{"directory", func(t *testing.T, path string) {
		// A directory cannot be renamed over a file.
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if err := os.Mkdir(path, 0o755); err != nil {
			t.Fatal(err)
		}
	}, "a directory", false},
	{"50 MB file", func(t *testing.T, path string) {
		replaceWith(t, path, func(tmp string) error {
			return os.WriteFile(tmp, []byte(strings.Repeat("# padding\n", 5<<20)), 0o644)
		})
	}, "larger than 1048576 bytes", false},
	{"arrays 500 deep", func(t *testing.T, path string) {
		writeFile(t, path, "[trading]\nmax_positions = "+strings.Repeat("[", 500)+strings.Repeat("]", 500)+"\n")
	}, "more than 32 levels deep", true},
	{"dotted key of 200000 parts", func(t *testing.T, path string) {
		writeFile(t, path, strings.Repeat("a.", 200000)+"a = 1\n")
	}, "more than 32 levels deep", true},
	{"array of tables for a section", func(t *testing.T, path string) {
		writeFile(t, path, "[[ibkr]]\nhost = 'x'\n[[trading]]\n")
	}, "ibkr:", true},
	{"TOML 1.1", func(t *testing.T, path string) {
		writeFile(t, path, "[ibkr]\nhost = \"\\e\"\n")
	}, "TOML 1.1", true},
	{"byte-order mark", func(t *testing.T, path string) {
		writeFile(t, path, "\uFEFF"+string(config(t, 9, watchOnly)))
	}, "byte-order mark", true},
}

// replaceWith makes a file with make at a temporary name and renames it
// over path, as an atomic writer would.
func replaceWith(t *testing.T, path string, make func(tmp string) error) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".config.toml.hostile.tmp")
	if err := make(tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	replaceWith(t, path, func(tmp string) error { return os.WriteFile(tmp, []byte(data), 0o644) })
}

func TestHostileFilesAreRejectedWhileRunning(t *testing.T) {
	t.Parallel()
	for _, hf := range hostileFiles {
		t.Run(hf.name, func(t *testing.T) {
			t.Parallel()
			good := config(t, 1, watchOnly)
			h := startHarness(t, good, true)
			hf.put(t, h.path)
			h.waitFor("the rejection", func() bool { return h.state.Snapshot().Rejected == 1 })
			snap := h.state.Snapshot()
			if snap.LastError == nil || !strings.Contains(*snap.LastError, hf.want) {
				t.Fatalf("last_error = %v, want it to mention %q", snap.LastError, hf.want)
			}
			if hf.hashed != (snap.LastRejected != nil) {
				t.Fatalf("last_rejected_sha256 = %v, want one only for a file with bytes", snap.LastRejected)
			}
			if h.applied() != hashOf(good) {
				t.Fatal("the last good config was dropped")
			}
			// Not wedged: the next good file is applied by the watch.
			if err := os.RemoveAll(h.path); err != nil {
				t.Fatal(err)
			}
			next := config(t, 2, watchOnly)
			h.writeAtomic(next)
			h.waitApplied(next)
		})
	}
}

func TestHostileFileAtStart(t *testing.T) {
	t.Parallel()
	for _, hf := range hostileFiles {
		t.Run(hf.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "config.toml")
			hf.put(t, path)
			started := time.Now()
			h := startHarnessAt(t, path, true)
			if took := time.Since(started); took > time.Second {
				t.Fatalf("the first load took %v", took)
			}
			snap := h.state.Snapshot()
			if snap.Applied != nil || snap.Rejected != 1 || snap.LastError == nil || !strings.Contains(*snap.LastError, hf.want) {
				t.Fatalf("want no config and the rejection reported, got applied=%v rejected=%d last_error=%v",
					snap.Applied != nil, snap.Rejected, snap.LastError)
			}
			if err := os.RemoveAll(path); err != nil {
				t.Fatal(err)
			}
			good := config(t, 1, watchOnly)
			h.writeAtomic(good)
			h.waitApplied(good)
		})
	}
}

// The poll is off (watchOnly): only a watch that came back can apply these.

func TestWatchComesBackAfterTheDirectoryIsRemoved(t *testing.T) {
	t.Parallel()
	h := startHarness(t, config(t, 1, watchOnly), true)
	dir := filepath.Dir(h.path)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the lost watch to be logged", func() bool { return len(h.logs.lines(t, "Config watch lost, relying on the periodic check")) > 0 })
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	next := config(t, 2, watchOnly)
	written := time.Now()
	h.writeAtomic(next)
	h.waitApplied(next)
	if took := time.Since(written); took > time.Second {
		t.Fatalf("the new file took %v to apply", took)
	}
	if got := h.logs.lines(t, "Config reloaded"); got[len(got)-1]["trigger"] != live.TriggerWatch {
		t.Fatalf("applied by %v, want the watch", got[len(got)-1]["trigger"])
	}
	// And it keeps working for later edits.
	last := config(t, 3, watchOnly)
	h.writeAtomic(last)
	h.waitApplied(last)
}

func TestWatchComesBackAfterTheDirectoryIsReplaced(t *testing.T) {
	t.Parallel()
	h := startHarness(t, config(t, 1, watchOnly), true)
	dir := filepath.Dir(h.path)
	fresh := dir + ".new"
	if err := os.Mkdir(fresh, 0o755); err != nil {
		t.Fatal(err)
	}
	next := config(t, 2, watchOnly)
	if err := os.WriteFile(filepath.Join(fresh, "config.toml"), next, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(dir, dir+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(fresh, dir); err != nil {
		t.Fatal(err)
	}
	h.waitApplied(next)
}

// configMapDir lays out a directory the way the kubelet mounts a ConfigMap:
// config.toml -> ..data/config.toml, ..data -> ..<stamp>.
func configMapDir(t *testing.T, data []byte) string {
	t.Helper()
	dir := t.TempDir()
	writeStamped(t, dir, "..2024_01_01", data)
	for _, link := range [][2]string{{"..2024_01_01", "..data"}, {"..data/config.toml", "config.toml"}} {
		if err := os.Symlink(link[0], filepath.Join(dir, link[1])); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func writeStamped(t *testing.T, dir, stamp string, data []byte) {
	t.Helper()
	if err := os.Mkdir(filepath.Join(dir, stamp), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, stamp, "config.toml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// flipData points ..data at a new stamped directory in one rename, as the
// kubelet's atomic writer does, and removes the old one.
func flipData(t *testing.T, dir, stamp, old string, data []byte) {
	t.Helper()
	writeStamped(t, dir, stamp, data)
	if err := os.Symlink(stamp, filepath.Join(dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, old)); err != nil {
		t.Fatal(err)
	}
}

func TestConfigMapDataFlipIsSeenByTheWatch(t *testing.T) {
	t.Parallel()
	first := config(t, 1, watchOnly)
	dir := configMapDir(t, first)
	h := startHarnessAt(t, filepath.Join(dir, "config.toml"), true)
	h.waitApplied(first)
	next := config(t, 2, watchOnly)
	written := time.Now()
	flipData(t, dir, "..2024_01_02", "..2024_01_01", next)
	h.waitApplied(next)
	if took := time.Since(written); took > time.Second {
		t.Fatalf("the flip took %v to apply", took)
	}
	last := config(t, 3, watchOnly)
	flipData(t, dir, "..2024_01_03", "..2024_01_02", last)
	h.waitApplied(last)
	for _, l := range h.logs.lines(t, "Config reloaded") {
		if l["trigger"] != live.TriggerWatch {
			t.Fatalf("reload by %v, want the watch", l["trigger"])
		}
	}
}

// TestProcessStartsOnAFIFO: the whole scanner, started on a FIFO, serves
// its probes and reports why it has no config.
func TestProcessStartsOnAFIFO(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	p := startProcess(t, nil, "--config", path, "--addr", "127.0.0.1:0")
	if code, body := p.get("/healthz"); code != 200 || body["ok"] != true {
		t.Fatalf("/healthz: %d %v", code, body)
	}
	if code, body := p.get("/readyz"); code != 503 || !strings.Contains(body["error"].(string), "named pipe (FIFO)") {
		t.Fatalf("/readyz: %d %v", code, body)
	}
	if _, status := p.get("/status"); status["rejected"] != 1.0 || status["last_rejected_sha256"] != nil {
		t.Fatalf("/status: %v", status)
	}
	if code := p.stop(); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}
