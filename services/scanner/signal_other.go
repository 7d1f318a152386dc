//go:build !unix

package main

import "os"

// Windows has no SIGUSR1, so a scanner run there for development reloads
// through the watch and the poll only.
var reloadSignals []os.Signal

var stopSignals = []os.Signal{os.Interrupt}
