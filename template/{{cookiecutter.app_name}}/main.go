// Command {{ cookiecutter.app_name }} is the desktop app of the TraderAdmin
// toolkit. This file only wires the window; the logic lives in the console
// module (./console), finding the config in internal/config.
package main

import (
	"embed"
	"flag"
	"log"
	"os"
	"path/filepath"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"traderadmin.local/console"

	"{{ cookiecutter.module_path }}/internal/config"
)

// The front end is built into frontend/dist by `wails build` and shipped
// inside the binary, so the app is a single file.
//
//go:embed all:frontend/dist
var assets embed.FS

func main() {
	configFlag := flag.String("config", "", "config.toml to edit (default: config/config.toml of the TraderAdmin repository around the working directory; env "+config.EnvConfig+")")
	schemaFlag := flag.String("schema", "", "schema.json that describes it (default: schema.json beside the config; env "+config.EnvSchema+")")
	contextFlag := flag.String("context", "", "kube context of the cluster (default: as the toolkit chooses: INVOKE_TRADERADMIN_CONTEXT, traderadmin.context in invoke.yaml, the local cluster, docker-desktop)")
	namespaceFlag := flag.String("namespace", "", "namespace of the stack (default: INVOKE_TRADERADMIN_NAMESPACE, traderadmin.namespace in invoke.yaml, traderadmin)")
	flag.Parse()

	workDir, err := os.Getwd()
	if err != nil {
		log.Fatalf("finding the working directory: %v", err)
	}
	files, locateErr := config.Locate(*configFlag, *schemaFlag, os.Getenv, workDir)
	app := NewApp(locateErr, os.Getenv(EnvRenderedFile), console.Options{
		Files:         files,
		ContextFlag:   *contextFlag,
		NamespaceFlag: *namespaceFlag,
		// The repository holds config/; its invoke.yaml may name the cluster.
		ProjectDir:  filepath.Dir(filepath.Dir(files.Config)),
		UIStateFile: os.Getenv(EnvUIStateFile),
	})

	err = wails.Run(&options.App{
		Title:       "{{ cookiecutter.app_name }}",
		Width:       1180,
		Height:      780,
		MinWidth:    720,
		MinHeight:   480,
		AssetServer: &assetserver.Options{Assets: assets},
		OnStartup:   app.startup,
		OnShutdown:  app.shutdown,
		Bind:        []interface{}{app},
	})
	if err != nil {
		log.Fatalf("running the window: %v", err)
	}
}
