// Command consolectl runs the desktop app's back end without a window, for
// scripts, tests and benches: the very code the app's Save, Push and
// Services buttons call (package console), printing JSON.
//
//	consolectl [flags] check KEY=VALUE...
//	consolectl [flags] save [-confirm-live] [-base SHA] KEY=VALUE...
//	consolectl [flags] backups                    (newest first, with the ids config.restore takes)
//	consolectl [flags] push [-confirm-live]
//	consolectl [flags] services
//	consolectl [flags] restart|stop|start SERVICE
//	consolectl [flags] logs [-for 10s] SERVICE     (one JSON line per log line)
//	consolectl [flags] bench -n 20 -key scanner.workers -values 4,5
//
// The config and schema are found as the app finds them (-config, -schema,
// TRADERADMIN_CONFIG, the repository around the working directory); the
// cluster as the toolkit chooses it (-context, -namespace).
//
// Exit status: 0 done, 1 failed, 2 refused (invalid input, a stale base,
// a service rejected the config).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"traderadmin.local/console"

	"{{ cookiecutter.module_path }}/internal/config"
)

func main() {
	global := flag.NewFlagSet("consolectl", flag.ExitOnError)
	configFlag := global.String("config", "", "config.toml (default: as the app finds it)")
	schemaFlag := global.String("schema", "", "schema.json (default: beside the config)")
	contextFlag := global.String("context", "", "kube context (default: as the toolkit chooses it)")
	namespaceFlag := global.String("namespace", "", "namespace of the stack (default: as the toolkit chooses it)")
	global.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: consolectl [-config P] [-schema P] [-context C] [-namespace N] check|save|backups|push|services|restart|stop|start|logs|bench ...")
		global.PrintDefaults()
	}
	global.Parse(os.Args[1:])
	if global.NArg() == 0 {
		global.Usage()
		os.Exit(2)
	}
	workDir, err := os.Getwd()
	if err != nil {
		fail(1, err)
	}
	files, err := config.Locate(*configFlag, *schemaFlag, os.Getenv, workDir)
	if err != nil {
		fail(1, err)
	}
	out := json.NewEncoder(os.Stdout)
	c := console.New(console.Options{
		Files: files,
		// Log lines arrive as the window gets them: events.
		Emit: func(name string, data any) {
			if strings.HasPrefix(name, console.EventLogsPrefix) {
				out.Encode(data)
			}
		},
		ContextFlag:   *contextFlag,
		NamespaceFlag: *namespaceFlag,
		ProjectDir:    filepath.Dir(filepath.Dir(files.Config)),
	})
	cmd, args := global.Arg(0), global.Args()[1:]
	switch cmd {
	case "check":
		j, err := c.Check(assignments(args))
		done(j, err, j != nil && !j.OK)
	case "save":
		fs := flag.NewFlagSet("save", flag.ExitOnError)
		live := fs.Bool("confirm-live", false, "allow a switch to LIVE")
		base := fs.String("base", "", "refuse unless the file's sha256 is this")
		fs.Parse(args)
		res, err := c.Save(assignments(fs.Args()), *base, *live)
		done(res, err, false)
	case "push":
		fs := flag.NewFlagSet("push", flag.ExitOnError)
		live := fs.Bool("confirm-live", false, "allow a switch of the stack to LIVE")
		fs.Parse(args)
		res, err := c.Push(*live)
		done(res, err, res != nil && !res.OK)
	case "backups":
		res, err := c.Backups()
		done(res, err, false)
	case "services":
		res, err := c.Services()
		done(res, err, false)
	case "restart", "stop", "start":
		if len(args) != 1 {
			fail(2, fmt.Errorf("usage: consolectl %s orchestrator|scanner|config-writer", cmd))
		}
		do := map[string]func(string) error{"restart": c.Restart, "stop": c.StopService, "start": c.StartService}[cmd]
		done(map[string]string{cmd: args[0]}, do(args[0]), false)
	case "logs":
		fs := flag.NewFlagSet("logs", flag.ExitOnError)
		duration := fs.Duration("for", 10*time.Second, "how long to follow")
		fs.Parse(args)
		if fs.NArg() != 1 {
			fail(2, fmt.Errorf("usage: consolectl logs [-for 10s] orchestrator|scanner|config-writer"))
		}
		if err := c.FollowLogs(fs.Arg(0)); err != nil {
			fail(1, err)
		}
		time.Sleep(*duration)
		c.StopLogs(fs.Arg(0))
	case "bench":
		bench(c, args)
	default:
		global.Usage()
		os.Exit(2)
	}
}

// assignments reads KEY=VALUE words; the value goes to the console as the
// text a person would type in the form.
func assignments(args []string) map[string]any {
	out := map[string]any{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			fail(2, fmt.Errorf("%q is not KEY=VALUE: write it as e.g. trading.max_positions=6", a))
		}
		out[k] = v
	}
	return out
}

// bench times what a Save click and the push after it take until both
// services confirm: n rounds, each saving the next of values for key.
func bench(c *console.Console, args []string) {
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	n := fs.Int("n", 20, "rounds")
	key := fs.String("key", "scanner.workers", "the setting each round changes")
	values := fs.String("values", "4,5", "values the rounds cycle through")
	fs.Parse(args)
	choices := strings.Split(*values, ",")
	if _, err := c.Services(); err != nil { // connect once, as the open app has
		fail(1, err)
	}
	enc := json.NewEncoder(os.Stdout)
	for i := 0; i < *n; i++ {
		started := time.Now()
		saved, err := c.Save(map[string]any{*key: choices[i%len(choices)]}, "", false)
		if err != nil {
			fail(2, err)
		}
		savedAt := time.Since(started)
		res, err := c.Push(false)
		if err != nil {
			fail(1, err)
		}
		total := time.Since(started)
		enc.Encode(map[string]any{"round": i + 1, "sha256": saved.SHA256, "written": saved.Written, "ok": res.OK,
			"save_s": savedAt.Seconds(), "push_s": res.Seconds, "total_s": total.Seconds(), "error": res.Error})
	}
}

func done(v any, err error, refused bool) {
	if err != nil {
		code := 1
		if errors.Is(err, console.ErrChangedOnDisk) || strings.Contains(err.Error(), "nothing was written") || strings.Contains(err.Error(), "not pushed") {
			code = 2
		}
		fail(code, err)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	enc.Encode(v)
	if refused {
		os.Exit(2)
	}
}

func fail(code int, err error) {
	fmt.Fprintln(os.Stderr, "consolectl:", err)
	os.Exit(code)
}
