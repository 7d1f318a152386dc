//go:build unix

package main

import (
	"os"
	"syscall"
)

// reloadSignals ask for a reload: SIGUSR1, as for the orchestrator.
var reloadSignals = []os.Signal{syscall.SIGUSR1}

// stopSignals end the process gracefully: SIGTERM from Kubernetes, SIGINT
// from a terminal.
var stopSignals = []os.Signal{syscall.SIGTERM, os.Interrupt}
