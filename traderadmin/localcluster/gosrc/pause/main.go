// Command pause holds a pod's namespaces open: the sandbox ("pause") container
// of the local cluster, built here because no registry can be reached.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	<-signals
}
