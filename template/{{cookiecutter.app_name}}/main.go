// Command {{ cookiecutter.app_name }} is the desktop app of the TraderAdmin
// toolkit. This file only wires the window; the logic lives in internal/.
package main

import (
	"embed"
	"flag"
	"log"
	"os"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"

	"{{ cookiecutter.module_path }}/internal/config"
)

// The front end is built into frontend/dist by `wails build` and shipped
// inside the binary, so the app is a single file.
//
//go:embed all:frontend/dist
var assets embed.FS

func main() {
	configFlag := flag.String("config", "", "config.toml to show (default: config/config.toml of the TraderAdmin repository around the working directory; env "+config.EnvConfig+")")
	schemaFlag := flag.String("schema", "", "schema.json that describes it (default: schema.json beside the config; env "+config.EnvSchema+")")
	flag.Parse()

	workDir, err := os.Getwd()
	if err != nil {
		log.Fatalf("finding the working directory: %v", err)
	}
	paths, locateErr := config.Locate(*configFlag, *schemaFlag, os.Getenv, workDir)
	app := NewApp(paths, locateErr, os.Getenv(EnvRenderedFile))

	err = wails.Run(&options.App{
		Title:       "{{ cookiecutter.app_name }}",
		Width:       1180,
		Height:      780,
		MinWidth:    720,
		MinHeight:   480,
		AssetServer: &assetserver.Options{Assets: assets},
		Bind:        []interface{}{app},
	})
	if err != nil {
		log.Fatalf("running the window: %v", err)
	}
}
