//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Lock takes the config's writer lock, waiting up to timeout for another
// holder (the toolkit or another app) to finish, and returns its release.
// The lock is flock(2) on LockPath(path), which is what Python's filelock
// (UnixFileLock) takes, so `invoke config.set` and a Save never interleave.
func Lock(path string, timeout time.Duration) (func(), error) {
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("the config's folder: %w", err)
	}
	lockFile := LockPath(path)
	f, err := os.OpenFile(lockFile, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the lock %s: %w; nothing was written", lockFile, err)
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w; nothing was written", lockFile, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("%s is being changed by another process: its lock %s is still held after %s; nothing was written. "+
				"Fix: let the other `invoke config.*` or `invoke reload` finish (`lsof %s` names it), then save again", path, lockFile, timeout, lockFile)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// syncDir makes a rename in dir survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
