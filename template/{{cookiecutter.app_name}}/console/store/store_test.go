package store

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The toolkit's own pattern (store.is_backup_of), so `invoke config.backups` lists what the app made.
var toolkitEntry = regexp.MustCompile(`^config-\d{8}T\d{12}Z-[0-9a-f]{8}\.toml$`)

func TestEntryNameIsTheToolkitsFormat(t *testing.T) {
	at := time.Date(2026, 12, 1, 7, 8, 9, 123456789, time.FixedZone("X", 3600))
	got := EntryName("/x/config.toml", []byte("a = 1\n"), at)
	want := "config-20261201T060809123456Z-" + Hash([]byte("a = 1\n"))[:8] + ".toml"
	if got != want || !toolkitEntry.MatchString(got) {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestWriteBacksUpThenReplaces(t *testing.T) {
	tests := []struct {
		name    string
		old     *string
		new     string
		changed bool
		backup  bool
	}{
		{"a change is backed up", ptr("a = 1\n"), "a = 2\n", true, true},
		{"the same bytes change nothing", ptr("a = 1\n"), "a = 1\n", false, false},
		{"a new file has nothing to back up", nil, "a = 1\n", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.toml")
			var old []byte
			if tc.old != nil {
				write(t, path, *tc.old)
				old = []byte(*tc.old)
			}
			res, err := Write(path, old, []byte(tc.new), DefaultHistory)
			if err != nil {
				t.Fatal(err)
			}
			if res.Changed != tc.changed || (res.Backup != "") != tc.backup || res.SHA256 != Hash([]byte(tc.new)) {
				t.Fatalf("result %+v", res)
			}
			if read(t, path) != tc.new {
				t.Fatalf("file holds %q", read(t, path))
			}
			if tc.backup {
				if read(t, BakPath(path)) != *tc.old || read(t, res.Backup) != *tc.old {
					t.Fatal("the backups do not hold the old bytes")
				}
				if !toolkitEntry.MatchString(filepath.Base(res.Backup)) || filepath.Dir(res.Backup) != filepath.Join(dir, "backups") {
					t.Fatalf("entry %s is not where the toolkit looks", res.Backup)
				}
				entries, _ := List(path)
				if len(entries) != 1 || entries[0].Path != res.Backup || time.Since(entries[0].Time) > time.Minute {
					t.Fatalf("List = %+v", entries)
				}
			} else if _, err := os.Stat(BakPath(path)); err == nil {
				t.Fatal("a .bak was made")
			}
			assertNoTemps(t, dir)
		})
	}
}

func TestWriteKeepsTheFilesMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	write(t, path, "a = 1\n")
	os.Chmod(path, 0o640)
	if _, err := Write(path, []byte("a = 1\n"), []byte("a = 2\n"), 5); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v", info.Mode().Perm())
	}
}

func TestWriteThroughASymlinkKeepsTheLink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.toml")
	write(t, real, "a = 1\n")
	link := filepath.Join(dir, "config.toml")
	os.Symlink(real, link)
	if _, err := Write(link, []byte("a = 1\n"), []byte("a = 2\n"), 5); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 || read(t, real) != "a = 2\n" {
		t.Fatal("the link was replaced instead of written through")
	}
}

func TestHistoryIsPrunedToKeep(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	write(t, path, "v = 0\n")
	for i := 1; i <= 5; i++ {
		old := []byte(read(t, path))
		if _, err := Write(path, old, []byte(strings.Repeat("#\n", i)+"v = 1\n"), 3); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := List(path)
	if len(entries) != 3 {
		t.Fatalf("%d entries kept, want 3", len(entries))
	}
	if read(t, entries[0].Path) != strings.Repeat("#\n", 4)+"v = 1\n" {
		t.Fatal("the newest entry is not first")
	}
}

func TestAFailedBackupWritesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	write(t, path, "a = 1\n")
	write(t, filepath.Join(dir, "backups"), "not a folder") // so no entry can be made
	_, err := Write(path, []byte("a = 1\n"), []byte("a = 2\n"), 5)
	if err == nil || !strings.Contains(err.Error(), "could not back up") || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("got %v", err)
	}
	if read(t, path) != "a = 1\n" {
		t.Fatal("the file changed")
	}
	if _, err := os.Stat(BakPath(path)); err == nil {
		t.Fatal("a .bak was left")
	}
	assertNoTemps(t, dir)
}

func TestAReadOnlyFileIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	write(t, path, "a = 1\n")
	os.Chmod(path, 0o444)
	if _, err := Write(path, []byte("a = 1\n"), []byte("a = 2\n"), 5); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("got %v", err)
	}
}

func TestLeftoversOfAKilledWriterAreRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	write(t, path, "a = 1\n")
	write(t, filepath.Join(dir, ".config.toml.abc123.tmp"), "half")
	write(t, filepath.Join(dir, ".other.toml.abc123.tmp"), "someone else's")
	if _, err := Write(path, []byte("a = 1\n"), []byte("a = 2\n"), 5); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".config.toml.abc123.tmp")); err == nil {
		t.Fatal("our leftover stayed")
	}
	if _, err := os.Stat(filepath.Join(dir, ".other.toml.abc123.tmp")); err != nil {
		t.Fatal("another file's temp was removed")
	}
}

func TestLockExcludesASecondWriterUntilReleased(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	write(t, path, "a = 1\n")
	release, err := Lock(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(path), ".config.toml.lock")); err != nil {
		t.Fatal("the lock file is not the toolkit's")
	}
	if _, err := Lock(path, 50*time.Millisecond); err == nil || !strings.Contains(err.Error(), "being changed by another process") {
		t.Fatalf("a second lock: %v", err)
	}
	go func() { time.Sleep(50 * time.Millisecond); release() }()
	again, err := Lock(path, 2*time.Second)
	if err != nil {
		t.Fatalf("the lock was not handed over: %v", err)
	}
	again()
}

func assertNoTemps(t *testing.T, dir string) {
	t.Helper()
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if strings.HasSuffix(p, ".tmp") {
			t.Errorf("temp file left: %s", p)
		}
		return nil
	})
}

func ptr(s string) *string { return &s }
