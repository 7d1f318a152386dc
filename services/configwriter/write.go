package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// The content arrives base64-encoded in argv because exec over the API server
// cannot signal end-of-input on stdin with every client; a config is a few KiB,
// far below the kernel's per-argument limit.
const maxConfigBytes = 96 << 10

type result struct {
	Path    string `json:"path"`
	Exists  bool   `json:"exists"`
	SHA256  string `json:"sha256,omitempty"`
	Bytes   int    `json:"bytes"`
	Changed bool   `json:"changed"`
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// put replaces path with the decoded content so that a reader (the services'
// watchers) sees the old bytes or the new ones, never a mix.
func put(path, wantSHA, b64 string, out io.Writer) error {
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return fmt.Errorf("decoding the content: %w", err)
	}
	if len(data) > maxConfigBytes {
		return fmt.Errorf("content is %d bytes, more than the %d a config may have", len(data), maxConfigBytes)
	}
	if got := digest(data); got != wantSHA {
		return fmt.Errorf("content arrived damaged: sha256 %s, expected %s", got, wantSHA)
	}
	old, err := os.ReadFile(path)
	if err == nil && digest(old) == wantSHA {
		return json.NewEncoder(out).Encode(result{Path: path, Exists: true, SHA256: wantSHA, Bytes: len(data)})
	}
	vouch(path, wantSHA)
	if err := atomicWrite(path, data); err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(result{Path: path, Exists: true, SHA256: wantSHA, Bytes: len(data), Changed: true})
}

// VouchPath is where put records the hash of the file it is about to rename
// into place: the services read the config at once, without their debounce
// and settle reads, when the file's hash equals it. A torn read cannot match,
// so a file written any other way (in place, by an editor) still gets the
// careful path.
func VouchPath(path string) string {
	dir, name := filepath.Split(path)
	return filepath.Join(dir, "."+name+".sha256")
}

// vouch writes VouchPath(path) before the config is renamed into place, so a
// service that sees the rename finds the new hash already there. It is only a
// hint: not synced to disk (a stale or missing one means the careful path),
// and a failure to write it does not fail the put.
func vouch(path, sha string) {
	target := VouchPath(path)
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		return
	}
	tmp := target + "." + hex.EncodeToString(suffix) + ".tmp"
	if err := os.WriteFile(tmp, []byte(sha+"\n"), 0o644); err != nil {
		os.Remove(tmp)
		return
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
	}
}

func atomicWrite(path string, data []byte) error {
	dir, name := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		return fmt.Errorf("naming the temp file: %w", err)
	}
	// A dot-name the services ignore: they only react to the config's own name.
	tmp := filepath.Join(dir, "."+name+"."+hex.EncodeToString(suffix)+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("creating %q: %w", tmp, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("writing %q: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("syncing %q: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("closing %q: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("renaming %q to %q: %w", tmp, path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening %q to sync it: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %q: %w", dir, err)
	}
	return nil
}

func stat(path string, out io.Writer) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return json.NewEncoder(out).Encode(result{Path: path})
	}
	if err != nil {
		return fmt.Errorf("reading %q: %w", path, err)
	}
	return json.NewEncoder(out).Encode(result{Path: path, Exists: true, SHA256: digest(data), Bytes: len(data)})
}
