//go:build windows

package store

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// Lock takes the config's writer lock (LockFileEx on LockPath(path), as
// Python's filelock does on Windows through msvcrt), waiting up to timeout.
func Lock(path string, timeout time.Duration) (func(), error) {
	lockFile := LockPath(path)
	f, err := os.OpenFile(lockFile, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the lock %s: %w; nothing was written", lockFile, err)
	}
	h := windows.Handle(f.Fd())
	deadline := time.Now().Add(timeout)
	for {
		ol := new(windows.Overlapped)
		err := windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
		if err == nil {
			return func() {
				windows.UnlockFileEx(h, 0, 1, 0, new(windows.Overlapped))
				f.Close()
			}, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("%s is being changed by another process: its lock %s is still held after %s; nothing was written", path, lockFile, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// syncDir: Windows cannot open a folder for fsync; NTFS journals the rename.
func syncDir(string) error { return nil }
