// Command configview prints, as JSON, the view of a config that the desktop
// app shows: sections, fields, SHA-256 and problems. It needs no display,
// so scripts and tests can ask the app's own judgement of a config file.
//
// Exit status: 0 valid, 2 invalid against the schema, 1 unreadable.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"traderadmin.local/console"

	"{{ cookiecutter.module_path }}/internal/config"
)

func main() {
	configFlag := flag.String("config", "", "config.toml (default: as the app finds it)")
	schemaFlag := flag.String("schema", "", "schema.json (default: beside the config)")
	flag.Parse()

	workDir, err := os.Getwd()
	if err != nil {
		fail(fmt.Errorf("finding the working directory: %w", err))
	}
	files, err := config.Locate(*configFlag, *schemaFlag, os.Getenv, workDir)
	if err != nil {
		fail(err)
	}
	view, err := console.NewConfig(files).View()
	if err != nil {
		fail(err)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(view); err != nil {
		fail(fmt.Errorf("writing the view: %w", err))
	}
	if !view.Valid {
		os.Exit(2)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "configview:", err)
	os.Exit(1)
}
