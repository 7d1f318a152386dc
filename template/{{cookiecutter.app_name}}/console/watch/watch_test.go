package watch

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestEveryKindOfWriteIsSeenOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	os.WriteFile(path, []byte("a = 1\n"), 0o644)
	got := make(chan string, 10)
	w, err := New(path, func(sha string) { got <- sha })
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	expect := func(what string, want string) {
		t.Helper()
		select {
		case sha := <-got:
			if sha != want {
				t.Fatalf("%s: got %s, want %s", what, sha, want)
			}
		case <-time.After(Poll + time.Second):
			t.Fatalf("%s: no change reported", what)
		}
	}
	quiet := func(what string) {
		t.Helper()
		select {
		case sha := <-got:
			t.Fatalf("%s: reported %s", what, sha)
		case <-time.After(300 * time.Millisecond):
		}
	}
	// An atomic rename, as the toolkit and the app save.
	tmp := filepath.Join(dir, ".config.toml.abc.tmp")
	os.WriteFile(tmp, []byte("a = 2\n"), 0o644)
	quiet("a temp file")
	os.Rename(tmp, path)
	expect("rename", hashOf(path))
	// In place, as an editor may.
	os.WriteFile(path, []byte("a = 3\n"), 0o644)
	expect("write in place", hashOf(path))
	// The same bytes again change nothing.
	os.WriteFile(path, []byte("a = 3\n"), 0o644)
	quiet("same bytes")
	os.Remove(path)
	expect("removed", "")
	os.WriteFile(path, []byte("a = 4\n"), 0o644)
	expect("made again", hashOf(path))
}

func TestAFolderRemovedAndMadeAgainIsWatchedAgain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "config")
	os.Mkdir(dir, 0o755)
	path := filepath.Join(dir, "config.toml")
	os.WriteFile(path, []byte("a = 1\n"), 0o644)
	got := make(chan string, 10)
	w, _ := New(path, func(sha string) { got <- sha })
	defer w.Close()
	os.RemoveAll(dir)
	<-got // gone
	os.Mkdir(dir, 0o755)
	os.WriteFile(path, []byte("a = 5\n"), 0o644)
	deadline := time.After(2*Poll + time.Second)
	for {
		select {
		case sha := <-got:
			if sha == hashOf(path) {
				return
			}
		case <-deadline:
			t.Fatal("the new file was never reported")
		}
	}
}
