package configcontract

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// MaxBytes caps the size of a config file (1 MiB; a full config is
// about 5 KiB). Without it a huge or endless file is read into memory whole,
// and the pod meets its memory limit. The orchestrator uses the same cap;
// see config/CONTRACT.md.
const MaxBytes = 1 << 20

// ReadFile returns the bytes of the config file at path. Only a regular
// file (or a symlink to one, as a ConfigMap mounts it) is read: a FIFO would
// block the reader until some writer comes, forever, and a device such as
// /dev/zero never ends. At most MaxBytes+1 bytes are read, so a file
// that grows while being read is still bounded.
func ReadFile(path string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		// The *PathError names the path; callers test it with errors.Is(err, fs.ErrNotExist).
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("inspecting %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file but %s; the config must be a regular file", path, fileKind(info.Mode()))
	}
	if info.Size() > MaxBytes {
		return nil, fmt.Errorf("%s: %s", path, tooLarge(info.Size()))
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("%s: %s", path, tooLarge(-1))
	}
	return data, nil
}

// tooLarge words the size cap; size is -1 when unknown (a file that grew
// while it was read).
func tooLarge(size int64) string {
	if size < 0 {
		return fmt.Sprintf("larger than %d bytes (1 MiB), the limit for a config file", MaxBytes)
	}
	return fmt.Sprintf("%d bytes, larger than %d bytes (1 MiB), the limit for a config file", size, MaxBytes)
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "a special file (" + m.Type().String() + ")"
}
