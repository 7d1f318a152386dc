package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// own gives the config volume to the writer before it starts. Docker Desktop's
// hostpath and kind's local-path volumes are root-owned 0755 directories and the
// kubelet applies fsGroup to neither, so the writer (uid 65532) could never
// write there. It runs in the one-shot volume-owner pod (deploy/once/), as root holding only CAP_CHOWN:
// no recursion and no symlinks followed, so a planted link cannot steer that
// capability at anything outside the volume.
type ownResult struct {
	Dir     string `json:"dir"`
	UID     int    `json:"uid"`
	GID     int    `json:"gid"`
	Changed bool   `json:"changed"`
	Files   int    `json:"files"`
}

func own(dir, uidArg, gidArg string, out io.Writer) error {
	uid, err := parseID("UID", uidArg)
	if err != nil {
		return err
	}
	gid, err := parseID("GID", gidArg)
	if err != nil {
		return err
	}
	res, err := chownDir(dir, uid, gid)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(res)
}

// parseID refuses 4294967295: to chown(2) that is -1, "leave unchanged".
func parseID(what, s string) (int, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == math.MaxUint32 {
		return 0, fmt.Errorf("%s %q: want a number from 0 to %d", what, s, uint32(math.MaxUint32-1))
	}
	return int(n), nil
}

func chownDir(dir string, uid, gid int) (ownResult, error) {
	res := ownResult{Dir: dir, UID: uid, GID: gid}
	fi, err := os.Lstat(dir)
	if err != nil {
		return res, ownFailure(dir, uid, err, "")
	}
	if !fi.IsDir() {
		return res, fmt.Errorf("%s is a %s, not a directory; mount the config volume there", dir, kind(fi.Mode()))
	}
	st := fi.Sys().(*syscall.Stat_t)
	// Before the chown: the owner may chmod without CAP_FOWNER, and root stops
	// being the owner the moment the directory is given away.
	if fi.Mode().Perm()&0o200 == 0 {
		if err := os.Chmod(dir, fi.Mode()|0o700); err != nil {
			return res, ownFailure(dir, uid, err, fmt.Sprintf("it lacks owner write and its owner (uid %d) is not the volume-owner pod's "+
				"user, so changing its mode needs CAP_FOWNER; fix: make it writable by its owner, or add FOWNER "+
				"to the volume-owner pod's capabilities", st.Uid))
		}
		res.Changed = true
	}
	// Files before the directory, while root may still own (and so list) it:
	// without CAP_DAC_READ_SEARCH root reads a 0700 directory of uid 65532 no better than anyone else.
	n, err := chownFiles(dir, uid, gid)
	if err != nil {
		return res, err
	}
	res.Files = n
	if int(st.Uid) != uid || int(st.Gid) != gid {
		if err := os.Lchown(dir, uid, gid); err != nil {
			return res, ownFailure(dir, uid, err, "")
		}
		res.Changed = true
	}
	res.Changed = res.Changed || n > 0
	return res, nil
}

// chownFiles gives away the regular files an earlier root writer left behind
// (a config.toml the writer must be able to replace); links and folders stay.
func chownFiles(dir string, uid, gid int) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, ownFailure(dir, uid, err, "")
	}
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		fi, err := e.Info()
		if err != nil {
			return n, ownFailure(dir, uid, err, "")
		}
		if int(fi.Sys().(*syscall.Stat_t).Uid) == uid {
			continue
		}
		if err := os.Lchown(path, uid, gid); err != nil {
			return n, ownFailure(dir, uid, err, "")
		}
		n++
	}
	return n, nil
}

// ownFailure says what stopped the volume-owner pod and what to change: its log
// is all a person sees of it (`invoke deploy` prints the last lines).
func ownFailure(dir string, uid int, err error, epermFix string) error {
	var fix string
	switch {
	case errors.Is(err, unix.EPERM) && epermFix != "":
		fix = epermFix
	case errors.Is(err, unix.EPERM):
		fix = fmt.Sprintf("the volume-owner pod lacks CAP_CHOWN or does not run as root; fix: give it "+
			"runAsUser: 0 and capabilities.add: [CHOWN] (deploy/once/volume-owner.yaml), or, where the volume "+
			"refuses ownership changes (NFS with root_squash), pre-create the directory writable by uid %d", uid)
	case errors.Is(err, unix.EROFS):
		fix = "the volume is mounted read-only in the volume-owner pod; fix: mount it without readOnly there"
	case errors.Is(err, unix.EACCES):
		fix = fmt.Sprintf("root holding only CAP_CHOWN may not read a directory it neither owns nor can read by its mode; "+
			"fix: make the directory readable by others (chmod o+rx) or pre-create it writable by uid %d", uid)
	case errors.Is(err, fs.ErrNotExist):
		fix = "nothing is mounted there; fix: mount the config volume at that path in the volume-owner pod"
	default:
		fix = fmt.Sprintf("fix: pre-create the directory writable by uid %d", uid)
	}
	return fmt.Errorf("cannot give %s to uid %d: %v; %s", dir, uid, err, fix)
}

func kind(m fs.FileMode) string {
	if m&fs.ModeSymlink != 0 {
		return "symlink"
	}
	return "file"
}
