//go:build unix

package configcontract

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readWithin runs ReadFile and fails the test if it does not return in
// time: the point of several cases is that the read never blocks.
func readWithin(t *testing.T, path string) ([]byte, error) {
	t.Helper()
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := ReadFile(path)
		done <- result{data, err}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-time.After(2 * time.Second):
		t.Fatalf("ReadFile(%s) blocked", path)
		return nil, nil
	}
}

func TestReadConfigRefusesWhatIsNotARegularFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.toml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, want string }{
		{fifo, "not a regular file but a named pipe (FIFO)"},
		{dir, "not a regular file but a directory"},
		{"/dev/zero", "not a regular file but a character device"},
		{"/dev/null", "not a regular file but a character device"},
	}
	linkToZero := filepath.Join(dir, "zero.toml")
	if err := os.Symlink("/dev/zero", linkToZero); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, struct{ path, want string }{linkToZero, "a character device"})
	for _, c := range cases {
		_, err := readWithin(t, c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), c.path+": ") {
			t.Errorf("%s: got %v, want %q", c.path, err, c.want)
		}
	}
}

func TestReadConfigCapsTheSize(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	at := filepath.Join(dir, "at-the-cap.toml")
	if err := os.WriteFile(at, make([]byte, MaxBytes), 0o644); err != nil {
		t.Fatal(err)
	}
	if data, err := readWithin(t, at); err != nil || len(data) != MaxBytes {
		t.Fatalf("a file of exactly %d bytes: %d bytes, %v", MaxBytes, len(data), err)
	}
	over := filepath.Join(dir, "over.toml")
	if err := os.WriteFile(over, make([]byte, MaxBytes+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readWithin(t, over); err == nil || !strings.Contains(err.Error(), "1048577 bytes, larger than 1048576 bytes") {
		t.Fatalf("one byte over: %v", err)
	}
	// 50 GB that take no disk: refused from its size, without reading it.
	huge := filepath.Join(dir, "huge.toml")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(50 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := readWithin(t, huge); err == nil || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
		t.Fatalf("50 GB: %v", err)
	}
}

func TestReadConfigFollowsASymlinkToARegularFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "..2024_01"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "..2024_01", "config.toml"), []byte("x = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, link := range [][2]string{{"..2024_01", "..data"}, {"..data/config.toml", "config.toml"}} {
		if err := os.Symlink(link[0], filepath.Join(dir, link[1])); err != nil {
			t.Fatal(err)
		}
	}
	if data, err := readWithin(t, filepath.Join(dir, "config.toml")); err != nil || string(data) != "x = 1\n" {
		t.Fatalf("got %q, %v", data, err)
	}
}
