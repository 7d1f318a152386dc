package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"traderadmin.local/configcontract/live"
)

// shutdownGrace is how long open HTTP requests may finish after SIGTERM;
// well inside Kubernetes' default 30 s termination grace period.
const shutdownGrace = 5 * time.Second

// readHeaderTimeout bounds how long a client may take to send its request
// headers, so a stuck probe client cannot pin a connection.
const readHeaderTimeout = 5 * time.Second

// service is the wiring of one scanner process.
type service struct {
	configPath string
	addr       string
	watch      bool
	reload     <-chan os.Signal
	log        *slog.Logger
	logs       *logSettings
}

// serve loads the config, starts the HTTP server, the reload triggers and
// the scan loop, and stops them all when ctx ends.
func serve(ctx context.Context, s service) error {
	parser, err := NewParser()
	if err != nil {
		return err
	}
	state := NewState(s.configPath)
	reloader, err := NewReloader(s.configPath, parser, state, s.log, s.logs)
	if err != nil {
		return err
	}
	watcher := NewWatcher(s.configPath, reloader, s.watch, s.reload, s.log)
	defer watcher.Close()
	// A missing or bad file at start is not fatal: the scanner stays up,
	// unready, and applies the first valid file that appears.
	reloader.Reload(ctx, live.TriggerStart)

	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("listening on %q: %w", s.addr, err)
	}
	srv := &http.Server{Handler: newHandler(state, s.log), ReadHeaderTimeout: readHeaderTimeout}
	s.log.Info("Listening", "addr", ln.Addr().String())

	var wg sync.WaitGroup
	serveErr := make(chan error, 1)
	wg.Go(func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			serveErr <- fmt.Errorf("serving HTTP on %q: %w", s.addr, err)
		}
	})
	loops, stopLoops := context.WithCancel(ctx)
	defer stopLoops()
	wg.Go(func() { watcher.Run(loops) })
	wg.Go(func() { (&ScanLoop{state: state, log: s.log}).Run(loops) })

	var result error
	select {
	case <-ctx.Done():
		s.log.Info("Shutting down")
	case result = <-serveErr:
	}
	stopLoops()
	shutdown, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && result == nil {
		result = fmt.Errorf("stopping the HTTP server: %w", err)
	}
	wg.Wait()
	return result
}
