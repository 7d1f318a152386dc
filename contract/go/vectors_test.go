package configcontract

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestValidVectorsPass(t *testing.T) {
	s := newSchema(t)
	for _, file := range vectors(t, "valid") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Judge(data); err != nil {
				t.Fatalf("refused a valid config: %v", err)
			}
		})
	}
}

func TestInvalidVectorsAreRefusedNamingTheKey(t *testing.T) {
	s := newSchema(t)
	for _, file := range vectors(t, "invalid") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			want := expectation(t, file)
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Judge(data)
			var cerr *ConfigError
			if !errors.As(err, &cerr) {
				t.Fatalf("accepted an invalid config (error %v), expected one naming %s", err, want)
			}
			if want == "<syntax>" {
				if !cerr.Syntax {
					t.Fatalf("expected a TOML syntax error, got: %v", cerr)
				}
				return
			}
			if cerr.Syntax || !names(cerr, want) {
				t.Fatalf("error does not name %s: %v", want, cerr)
			}
		})
	}
}
