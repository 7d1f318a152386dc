package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

const writerID = 65532

func ownerOf(t *testing.T, path string) (uid, gid int) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return int(st.Uid), int(st.Gid)
}

func TestOwnGivesTheVolumeToTheWriter(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("giving a folder to another uid needs root; TestOwnWithoutCapChownSaysHowToFixIt covers this user")
	}
	tests := []struct {
		name        string
		setup       func(t *testing.T, dir string)
		wantChanged bool
		wantFiles   int
		wantMode    fs.FileMode
	}{
		{"root-owned 0755 hostpath with a root writer's config", func(t *testing.T, dir string) {
			must(t, os.Chmod(dir, 0o755))
			must(t, os.WriteFile(filepath.Join(dir, "config.toml"), []byte("a = 1\n"), 0o644))
		}, true, 1, 0o755},
		{"already the writer's", func(t *testing.T, dir string) {
			must(t, os.Chmod(dir, 0o755))
			must(t, os.WriteFile(filepath.Join(dir, "config.toml"), []byte("a = 1\n"), 0o644))
			must(t, os.Lchown(filepath.Join(dir, "config.toml"), writerID, writerID))
			must(t, os.Lchown(dir, writerID, writerID))
		}, false, 0, 0o755},
		{"no owner write", func(t *testing.T, dir string) {
			must(t, os.Chmod(dir, 0o555))
		}, true, 0, 0o755},
		{"only the group differs", func(t *testing.T, dir string) {
			must(t, os.Chmod(dir, 0o775))
			must(t, os.Lchown(dir, writerID, 0))
		}, true, 0, 0o775},
		{"a file of the writer's uid keeps its group", func(t *testing.T, dir string) {
			must(t, os.Chmod(dir, 0o750))
			must(t, os.WriteFile(filepath.Join(dir, "config.toml"), []byte("a = 1\n"), 0o644))
			must(t, os.Lchown(filepath.Join(dir, "config.toml"), writerID, 0))
			must(t, os.Lchown(dir, writerID, writerID))
		}, false, 0, 0o750},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "config")
			must(t, os.Mkdir(dir, 0o700))
			// What a root-holding process must leave alone: a link out of the volume and anything below it.
			outside := filepath.Join(t.TempDir(), "secret")
			must(t, os.WriteFile(outside, []byte("x"), 0o600))
			must(t, os.Symlink(outside, filepath.Join(dir, "link")))
			must(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
			must(t, os.WriteFile(filepath.Join(dir, "sub", "nested.toml"), []byte("x"), 0o644))
			tc.setup(t, dir)

			want := ownResult{Dir: dir, UID: writerID, GID: writerID, Changed: tc.wantChanged, Files: tc.wantFiles}
			if got := runOwn(t, dir); got != want {
				t.Fatalf("first run = %+v, want %+v", got, want)
			}
			if uid, gid := ownerOf(t, dir); uid != writerID || gid != writerID {
				t.Fatalf("%s is owned by %d:%d", dir, uid, gid)
			}
			fi, _ := os.Lstat(dir)
			if fi.Mode().Perm() != tc.wantMode {
				t.Fatalf("mode = %v, want %v", fi.Mode().Perm(), tc.wantMode)
			}
			if _, err := os.Lstat(filepath.Join(dir, "config.toml")); err == nil {
				if uid, _ := ownerOf(t, filepath.Join(dir, "config.toml")); uid != writerID {
					t.Fatalf("config.toml still owned by uid %d", uid)
				}
			}
			for _, p := range []string{outside, filepath.Join(dir, "link"), filepath.Join(dir, "sub"), filepath.Join(dir, "sub", "nested.toml")} {
				if uid, _ := ownerOf(t, p); uid != 0 {
					t.Fatalf("%s was given away (uid %d): own must not follow links or recurse", p, uid)
				}
			}
			again := ownResult{Dir: dir, UID: writerID, GID: writerID}
			if got := runOwn(t, dir); got != again {
				t.Fatalf("second run = %+v, want %+v (nothing left to do)", got, again)
			}
		})
	}
}

func runOwn(t *testing.T, dir string) ownResult {
	t.Helper()
	var out bytes.Buffer
	if err := own(dir, strconv.Itoa(writerID), strconv.Itoa(writerID), &out); err != nil {
		t.Fatal(err)
	}
	if strings.Count(out.String(), "\n") != 1 {
		t.Fatalf("want one JSON line, got %q", out.String())
	}
	var r ownResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// As root the test drops CAP_CHOWN, as the volume-owner pod would be without
// capabilities.add: [CHOWN]; as anyone else the kernel refuses it anyway.
func TestOwnWithoutCapChownSaysHowToFixIt(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "config.toml"), []byte("a = 1\n"), 0o644))
	target := writerID
	if os.Geteuid() == writerID {
		target = writerID + 1
	}
	var out bytes.Buffer
	call := func() error { return own(dir, strconv.Itoa(target), strconv.Itoa(target), &out) }
	var err error
	if os.Geteuid() == 0 {
		err = withoutCapChown(t, call)
	} else {
		err = call()
	}
	if err == nil {
		t.Fatal("own succeeded without CAP_CHOWN")
	}
	for _, words := range []string{dir, "CAP_CHOWN", "operation not permitted", "deploy/once/volume-owner.yaml",
		"pre-create the directory writable by uid " + strconv.Itoa(target)} {
		if !strings.Contains(err.Error(), words) {
			t.Errorf("error %q does not say %q", err, words)
		}
	}
	if out.Len() != 0 {
		t.Errorf("a failure printed a result: %q", out.String())
	}
	if uid, _ := ownerOf(t, dir); uid != os.Geteuid() {
		t.Errorf("the folder changed hands (uid %d) although own failed", uid)
	}
}

// withoutCapChown runs f on an OS thread without CAP_CHOWN in its effective set.
// Capabilities belong to a thread on Linux; the thread stays locked, so the Go
// runtime discards it afterwards instead of handing it to other tests.
func withoutCapChown(t *testing.T, f func() error) error {
	type outcome struct{ setup, err error }
	done := make(chan outcome, 1)
	go func() {
		runtime.LockOSThread()
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capget(&hdr, &data[0]); err != nil {
			done <- outcome{setup: err}
			return
		}
		data[0].Effective &^= 1 << unix.CAP_CHOWN
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			done <- outcome{setup: err}
			return
		}
		done <- outcome{err: f()}
	}()
	o := <-done
	if o.setup != nil {
		t.Fatalf("dropping CAP_CHOWN: %v", o.setup)
	}
	return o.err
}

func TestOwnRefusesWhatItCannotUse(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "file")
	must(t, os.WriteFile(file, nil, 0o644))
	link := filepath.Join(base, "link")
	must(t, os.Symlink(base, link))
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"missing folder", []string{"own", filepath.Join(base, "absent"), "65532", "65532"}, "nothing is mounted there"},
		{"a file", []string{"own", file, "65532", "65532"}, "is a file, not a directory"},
		{"a symlink to a folder", []string{"own", link, "65532", "65532"}, "is a symlink, not a directory"},
		{"uid not a number", []string{"own", base, "writer", "65532"}, `UID "writer": want a number`},
		{"negative gid", []string{"own", base, "65532", "-1"}, `GID "-1": want a number`},
		{"the kernel's leave-unchanged id", []string{"own", base, "4294967295", "65532"}, "want a number from 0 to 4294967294"},
		{"missing gid", []string{"own", base, "65532"}, "usage: configwriter own DIR UID GID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("run(%q) = %v, want an error containing %q", tc.args, err, tc.wantErr)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
