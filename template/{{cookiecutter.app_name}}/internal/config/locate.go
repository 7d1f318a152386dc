// Package config finds the trading stack's config.toml and the schema.json
// that describes it, for the app and its commands; reading, judging and
// editing them is the console module's.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"traderadmin.local/console"
)

// Environment variables that override where the files are looked for.
const (
	EnvConfig = "TRADERADMIN_CONFIG"
	EnvSchema = "TRADERADMIN_SCHEMA"
)

// Locate decides which files to read. An explicit path (flag, then
// environment) wins; otherwise the nearest config/schema.json in the working
// directory or one of its parents marks the TraderAdmin repository, so the
// app finds the repository's config whether it is started from the repo,
// from the app's folder inside it, or from the app's build/bin.
func Locate(configFlag, schemaFlag string, getenv func(string) string, workDir string) (console.Files, error) {
	cfg := firstNonEmpty(configFlag, getenv(EnvConfig))
	schema := firstNonEmpty(schemaFlag, getenv(EnvSchema))
	if cfg == "" {
		dir, err := findUp(workDir, filepath.Join("config", "schema.json"))
		if err != nil {
			return console.Files{}, fmt.Errorf("no config/schema.json in %s or any parent folder: start the app inside the TraderAdmin repository, or pass -config and -schema (or set %s and %s): %w", workDir, EnvConfig, EnvSchema, err)
		}
		cfg = filepath.Join(dir, "config", "config.toml")
	}
	if schema == "" {
		schema = filepath.Join(filepath.Dir(cfg), "schema.json")
	}
	return console.Files{Config: absolute(cfg, workDir), Schema: absolute(schema, workDir)}, nil
}

func findUp(start, rel string) (string, error) {
	dir := filepath.Clean(start)
	for {
		if _, err := os.Stat(filepath.Join(dir, rel)); err == nil {
			return dir, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fs.ErrNotExist
		}
		dir = parent
	}
}

func absolute(p, workDir string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(workDir, p)
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
