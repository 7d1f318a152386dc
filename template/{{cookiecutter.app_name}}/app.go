package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"sync/atomic"

	"github.com/wailsapp/wails/v2/pkg/runtime"
	"traderadmin.local/console"
	"traderadmin.local/console/cluster"
)

// Environment variables of the headless tests: the app writes what the
// front end drew (the smoke test) and what it shows (the end-to-end test).
const (
	EnvRenderedFile = "TRADERADMIN_RENDERED_FILE"
	EnvUIStateFile  = "TRADERADMIN_UI_STATE_FILE"
)

// App is the object bound to the front end: Wails generates
// frontend/wailsjs/go/main/App.{js,d.ts} from its exported methods and
// wailsjs/go/models.ts from the structs they use. Each method hands over to
// the console package, where the logic and its tests are.
type App struct {
	ctx          atomic.Pointer[context.Context] // set once the window is up
	locateErr    error
	renderedFile string
	console      *console.Console
}

// NewApp keeps a failed lookup of the config to report it in the window
// rather than dying before the window opens.
func NewApp(locateErr error, renderedFile string, opt console.Options) *App {
	a := &App{locateErr: locateErr, renderedFile: renderedFile}
	opt.Emit = a.emit
	a.console = console.New(opt)
	return a
}

// startup runs when the window is up: events can flow from now on.
func (a *App) startup(ctx context.Context) {
	a.ctx.Store(&ctx)
	if a.locateErr != nil {
		return
	}
	if err := a.console.Start(); err != nil {
		log.Printf("watching %s: %v (changes on disk will not be reported)", a.console.Path(), err)
	}
}

func (a *App) shutdown(context.Context) { a.console.Stop() }

func (a *App) emit(name string, data any) {
	if ctx := a.ctx.Load(); ctx != nil {
		runtime.EventsEmit(*ctx, name, data)
	}
}

func (a *App) located() error { return a.locateErr }

// View reads the config and its schema afresh on every call, so the window
// shows the file as it is now.
func (a *App) View() (*console.View, error) {
	if err := a.located(); err != nil {
		return nil, err
	}
	return a.console.View()
}

// Form is the schema as form fields with the file's values.
func (a *App) Form() (*console.Form, error) {
	if err := a.located(); err != nil {
		return nil, err
	}
	return a.console.Form()
}

// Check judges the file with edits, for inline errors.
func (a *App) Check(edits map[string]any) (*console.Judgement, error) {
	if err := a.located(); err != nil {
		return nil, err
	}
	return a.console.Check(edits)
}

// Preview is the diff a save would make.
func (a *App) Preview(edits map[string]any) (*console.Preview, error) {
	if err := a.located(); err != nil {
		return nil, err
	}
	return a.console.Preview(edits)
}

// Save writes the edits, keeping every comment; see console.Config.Save.
func (a *App) Save(edits map[string]any, baseSha256 string, confirmLive bool) (*console.SaveResult, error) {
	if err := a.located(); err != nil {
		return nil, err
	}
	return a.console.Save(edits, baseSha256, confirmLive)
}

// Backups lists the config's history, newest first.
func (a *App) Backups() ([]console.Backup, error) {
	if err := a.located(); err != nil {
		return nil, err
	}
	return a.console.Backups()
}

// Restore puts a backup back (undo).
func (a *App) Restore(id string, confirmLive bool) (*console.SaveResult, error) {
	if err := a.located(); err != nil {
		return nil, err
	}
	return a.console.Restore(id, confirmLive)
}

// Cluster tells which cluster the app uses and whether it answers.
func (a *App) Cluster() (*cluster.Info, error) { return a.console.Cluster() }

// Push puts config.toml into the cluster and waits for both services.
func (a *App) Push(confirmLive bool) (*cluster.PushResult, error) {
	if err := a.located(); err != nil {
		return nil, err
	}
	return a.console.Push(confirmLive)
}

// Services lists the stack's services with pods and config hashes.
func (a *App) Services() ([]cluster.Service, error) { return a.console.Services() }

// Restart rolls a service's pods (kubectl rollout restart).
func (a *App) Restart(service string) error { return a.console.Restart(service) }

// Stop scales a service to 0.
func (a *App) Stop(service string) error { return a.console.StopService(service) }

// Start scales a service to 1.
func (a *App) Start(service string) error { return a.console.StartService(service) }

// FollowLogs streams a service's log as "logs:<service>" events.
func (a *App) FollowLogs(service string) error { return a.console.FollowLogs(service) }

// StopLogs ends a service's log stream.
func (a *App) StopLogs(service string) error { return a.console.StopLogs(service) }

// ReportUI records what the window shows, for the end-to-end test.
func (a *App) ReportUI(state console.UIState) error { return a.console.ReportUI(state) }

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
