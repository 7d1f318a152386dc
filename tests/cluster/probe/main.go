// Command probe is the test workload for the cluster tests: one static binary
// (the image is FROM scratch, so there is no shell) that serves HTTP, logs the
// signals it receives, and offers small subcommands for exec.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: probe serve|echo|write|read|stat|signal|get ...")
		os.Exit(2)
	}
	switch args := os.Args[2:]; os.Args[1] {
	case "serve":
		serve()
	case "echo":
		fmt.Println(join(args))
	case "write": // write FILE TEXT
		check(os.WriteFile(args[0], []byte(args[1]), 0o644))
	case "read": // read FILE
		data, err := os.ReadFile(args[0])
		check(err)
		os.Stdout.Write(data)
	case "signal": // signal USR1 PID
		sig := map[string]syscall.Signal{"USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "HUP": syscall.SIGHUP}[args[0]]
		pid, err := strconv.Atoi(args[1])
		check(err)
		check(syscall.Kill(pid, sig))
	case "stat": // stat PATH: owner and permission bits, as JSON
		info, err := os.Stat(args[0])
		check(err)
		st := info.Sys().(*syscall.Stat_t)
		json.NewEncoder(os.Stdout).Encode(map[string]any{"uid": st.Uid, "gid": st.Gid, "mode": fmt.Sprintf("%04o", info.Mode().Perm())})
	case "get": // get URL
		client := http.Client{Timeout: 5 * time.Second}
		resp, err := client.Get(args[0])
		check(err)
		defer resp.Body.Close()
		io.Copy(os.Stdout, resp.Body)
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}

func serve() {
	var usr1 atomic.Int64
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGUSR1, syscall.SIGTERM)
	go func() {
		for sig := range signals {
			if sig == syscall.SIGTERM {
				fmt.Println("received SIGTERM, exiting")
				os.Exit(0)
			}
			n := usr1.Add(1)
			fmt.Printf("received SIGUSR1 (%d so far)\n", n)
		}
	}()
	host, _ := os.Hostname()
	http.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"host": host, "uid": os.Getuid(), "usr1": usr1.Load()})
	})
	fmt.Printf("probe serving on :8080 as uid %d\n", os.Getuid())
	check(http.ListenAndServe(":8080", nil))
}

func join(args []string) string {
	out := ""
	for i, a := range args {
		if i > 0 {
			out += " "
		}
		out += a
	}
	return out
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
