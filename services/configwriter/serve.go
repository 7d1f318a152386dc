package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// serve keeps the pod alive for exec and answers probes; it is ready only when
// the config folder is writable, so a deploy waits for a usable volume.
func serve(args []string) error {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	dir := fl.String("dir", "/config", "the mounted config volume")
	addr := fl.String("addr", ":8080", "address for /healthz and /readyz")
	if err := fl.Parse(args); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, `{"ok": true}`)
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := writable(*dir); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "{\"ready\": false, \"error\": %q}\n", err.Error())
			return
		}
		fmt.Fprintln(w, `{"ready": true}`)
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	fmt.Printf("{\"msg\": \"Listening\", \"addr\": %q, \"dir\": %q}\n", *addr, *dir)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving on %s: %w", *addr, err)
	}
	return nil
}

// writable asks the kernel instead of writing a probe file: the probe runs
// every few seconds, and each write would wake both services' watchers.
func writable(dir string) error {
	if err := unix.Access(dir, unix.W_OK); err != nil {
		return fmt.Errorf("config folder %s is not writable: %w", dir, err)
	}
	return nil
}
