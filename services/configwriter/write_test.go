package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPut(t *testing.T) {
	good := []byte("a = 1\n")
	tests := []struct {
		name      string
		existing  []byte
		sha       string
		b64       string
		wantErr   string
		wantFile  []byte
		wantWrite bool
	}{
		{"new file", nil, digest(good), base64.StdEncoding.EncodeToString(good), "", good, true},
		{"replaces", []byte("a = 0\n"), digest(good), base64.StdEncoding.EncodeToString(good), "", good, true},
		{"unchanged is a no-op", good, digest(good), base64.StdEncoding.EncodeToString(good), "", good, false},
		{"damaged content", []byte("a = 0\n"), digest([]byte("x")), base64.StdEncoding.EncodeToString(good), "damaged", []byte("a = 0\n"), false},
		{"not base64", []byte("a = 0\n"), digest(good), "%%%", "decoding", []byte("a = 0\n"), false},
		{"too large", nil, digest(make([]byte, maxConfigBytes+1)), base64.StdEncoding.EncodeToString(make([]byte, maxConfigBytes+1)), "more than", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.toml")
			if tc.existing != nil {
				if err := os.WriteFile(path, tc.existing, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var out bytes.Buffer
			err := put(path, tc.sha, tc.b64, &out)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if !bytes.Equal(got, tc.wantFile) {
				t.Fatalf("file = %q, want %q", got, tc.wantFile)
			}
			if tc.wantErr == "" {
				var r result
				if err := json.Unmarshal(out.Bytes(), &r); err != nil {
					t.Fatal(err)
				}
				if r.Changed != tc.wantWrite || r.SHA256 != tc.sha {
					t.Fatalf("result = %+v", r)
				}
			}
			// A write is vouched for (its hash next to it, for the services' fast path); nothing else is.
			vouched, verr := os.ReadFile(VouchPath(path))
			if tc.wantWrite && string(vouched) != tc.sha+"\n" {
				t.Fatalf("vouch file = %q (%v), want the hash %s", vouched, verr, tc.sha)
			}
			if !tc.wantWrite && verr == nil {
				t.Fatalf("vouch file written for a put that wrote nothing: %q", vouched)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.HasSuffix(e.Name(), ".tmp") {
					t.Fatalf("temp file left behind: %s", e.Name())
				}
			}
		})
	}
}

func TestStat(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	var out bytes.Buffer
	if err := stat(path, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"exists":false`) {
		t.Fatalf("missing file reported as %s", out.String())
	}
	os.WriteFile(path, []byte("x"), 0o644)
	out.Reset()
	if err := stat(path, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), digest([]byte("x"))) {
		t.Fatalf("stat = %s", out.String())
	}
}

func TestWritable(t *testing.T) {
	tests := []struct {
		name    string
		dir     string
		wantErr bool
	}{
		{"existing folder", t.TempDir(), false},
		{"missing folder", filepath.Join(t.TempDir(), "absent"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := writable(tc.dir)
			if (err != nil) != tc.wantErr {
				t.Fatalf("writable(%s) = %v, want error %v", tc.dir, err, tc.wantErr)
			}
			entries, _ := os.ReadDir(tc.dir)
			if len(entries) != 0 {
				t.Fatalf("the probe left files behind: %v", entries)
			}
		})
	}
}
