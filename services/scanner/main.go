// Command scanner is the market scanner of the trading stack. It runs on
// the shared config.toml, applies a new config while running (file watch on
// the config's directory, a periodic hash check, SIGUSR1) and never runs a
// config that fails the shared schema.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

// defaultConfigPath is where the deployment mounts the config volume.
const defaultConfigPath = "/config/config.toml"

func main() {
	// Subscribe before anything else: a SIGUSR1 sent while the process is
	// still starting (a reload racing a restart) is then queued as a reload
	// request instead of hitting a process that does not expect it.
	reload := make(chan os.Signal, 1)
	if len(reloadSignals) > 0 {
		signal.Notify(reload, reloadSignals...)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, reload))
}

// run parses the command line and serves until SIGTERM or SIGINT; it
// returns the exit code.
func run(args []string, stdout, stderr io.Writer, reload <-chan os.Signal) int {
	fset := flag.NewFlagSet("scanner", flag.ContinueOnError)
	fset.SetOutput(stderr)
	configDefault := os.Getenv("TRADER_CONFIG")
	if configDefault == "" {
		configDefault = defaultConfigPath
	}
	configPath := fset.String("config", configDefault, "config file to run on (default from $TRADER_CONFIG, else "+defaultConfigPath+")")
	addr := fset.String("addr", ":8080", "HTTP address for /healthz, /readyz and /status")
	noWatch := fset.Bool("no-watch", false, "do not watch the config directory; only the periodic hash check and SIGUSR1 reload")
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "scanner: unexpected argument %q; all settings are flags (see -h)\n", fset.Arg(0))
		return 2
	}

	logs := new(logSettings)
	log := newLogger(stdout, logs)
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals...)
	defer stop()

	err := serve(ctx, service{
		configPath: *configPath,
		addr:       *addr,
		watch:      !*noWatch,
		reload:     reload,
		log:        log,
		logs:       logs,
	})
	if err != nil {
		log.Error("Scanner stopped", "error", err.Error())
		return 1
	}
	return 0
}
