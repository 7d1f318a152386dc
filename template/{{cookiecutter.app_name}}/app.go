package main

import (
	"encoding/json"
	"fmt"
	"log"
	"os"

	"{{ cookiecutter.module_path }}/internal/config"
)

// EnvRenderedFile names a file the app writes once the front end has drawn
// the config, so a headless smoke test knows the page rendered instead of
// guessing from pixels alone.
const EnvRenderedFile = "TRADERADMIN_RENDERED_FILE"

// App is the object bound to the front end: Wails generates
// frontend/wailsjs/go/main/App.{js,d.ts} from its exported methods and
// wailsjs/go/models.ts from the structs they use.
type App struct {
	paths        config.Paths
	locateErr    error
	renderedFile string
}

// NewApp keeps a failed lookup of the config to report it in the window
// rather than dying before the window opens.
func NewApp(paths config.Paths, locateErr error, renderedFile string) *App {
	return &App{paths: paths, locateErr: locateErr, renderedFile: renderedFile}
}

// View reads the config and its schema afresh on every call, so the window
// shows the file as it is now.
func (a *App) View() (*config.View, error) {
	if a.locateErr != nil {
		return nil, a.locateErr
	}
	return config.Load(a.paths)
}

// RenderReport is what the front end saw when it finished drawing.
type RenderReport struct {
	Tabs   int    `json:"tabs"`
	Fields int    `json:"fields"`
	SHA256 string `json:"sha256"`
	Error  string `json:"error"`
}

// Rendered is called by the front end once the tabs are on screen.
func (a *App) Rendered(report RenderReport) error {
	log.Printf("rendered: %d tabs, %d fields, config sha256 %s %s", report.Tabs, report.Fields, report.SHA256, report.Error)
	if a.renderedFile == "" {
		return nil
	}
	data, err := json.Marshal(report)
	if err != nil {
		return err
	}
	if err := os.WriteFile(a.renderedFile, data, 0o644); err != nil {
		return fmt.Errorf("writing the rendered marker %s: %w", a.renderedFile, err)
	}
	return nil
}
