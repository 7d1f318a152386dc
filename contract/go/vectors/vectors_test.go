package vectors

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"traderadmin.local/configcontract"
)

func TestCheck(t *testing.T) {
	keyed := &configcontract.ConfigError{Issues: []configcontract.Issue{{Key: "scanner.universe.1", Message: "bad"}}}
	syntax := &configcontract.ConfigError{Syntax: true, Issues: []configcontract.Issue{{Message: "invalid TOML"}}}
	cases := []struct {
		name string
		v    Vector
		err  error
		ok   bool
	}{
		{"valid accepted", Vector{Valid: true}, nil, true},
		{"valid refused", Vector{Valid: true}, keyed, false},
		{"invalid accepted", Vector{Expect: "scanner.universe"}, nil, false},
		{"not a ConfigError", Vector{Expect: "scanner.universe"}, errors.New("io"), false},
		{"names a key below", Vector{Expect: "scanner.universe"}, keyed, true},
		{"names another key", Vector{Expect: "scanner.workers"}, keyed, false},
		{"a prefix is not a parent", Vector{Expect: "scanner.univ"}, keyed, false},
		{"syntax expected and found", Vector{Expect: Syntax}, syntax, true},
		{"syntax expected, keys found", Vector{Expect: Syntax}, keyed, false},
		{"key expected, syntax found", Vector{Expect: "scanner.universe"}, syntax, false},
	}
	for _, c := range cases {
		if got := c.v.Check(c.err); (got == nil) != c.ok {
			t.Errorf("%s: Check = %v, want ok=%v", c.name, got, c.ok)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil {
		t.Fatal("an empty folder loaded without error")
	}
	for kind, body := range map[string]string{"valid": "a = 1\n", "invalid": "\uFEFF# expect: <syntax>\na = 1\n"} {
		os.Mkdir(filepath.Join(dir, kind), 0o755)
		os.WriteFile(filepath.Join(dir, kind, "x.toml"), []byte(body), 0o644)
	}
	all, err := Load(dir)
	if err != nil || len(all) != 2 || !all[0].Valid || all[1].Expect != Syntax {
		t.Fatalf("Load = %+v, %v", all, err)
	}
	os.WriteFile(filepath.Join(dir, "invalid", "y.toml"), []byte("a = 1\n"), 0o644)
	if _, err := Load(dir); err == nil {
		t.Fatal("an invalid vector without `# expect:` loaded")
	}
}
