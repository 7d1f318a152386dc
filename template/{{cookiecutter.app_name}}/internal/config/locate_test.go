package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLocateFindsTheRepositoryFromASubfolder(t *testing.T) {
	repo := t.TempDir()
	if err := os.MkdirAll(filepath.Join(repo, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "config", "schema.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(repo, "app", "TraderAdmin", "build", "bin")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := Locate("", "", func(string) string { return "" }, deep)
	if err != nil {
		t.Fatal(err)
	}
	if p.Config != filepath.Join(repo, "config", "config.toml") || p.Schema != filepath.Join(repo, "config", "schema.json") {
		t.Errorf("paths = %+v", p)
	}
}

func TestLocatePrefersFlagsThenEnvironment(t *testing.T) {
	env := map[string]string{EnvConfig: "/etc/trader/config.toml"}
	p, err := Locate("", "", func(k string) string { return env[k] }, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if p.Config != "/etc/trader/config.toml" || p.Schema != "/etc/trader/schema.json" {
		t.Errorf("from the environment: %+v", p)
	}
	p, err = Locate("mine.toml", "mine.json", func(k string) string { return env[k] }, "/w")
	if err != nil {
		t.Fatal(err)
	}
	if p.Config != "/w/mine.toml" || p.Schema != "/w/mine.json" {
		t.Errorf("from flags: %+v", p)
	}
}

func TestLocateExplainsAMissingRepository(t *testing.T) {
	_, err := Locate("", "", func(string) string { return "" }, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "-config") {
		t.Errorf("err = %v, want a hint about -config", err)
	}
}
