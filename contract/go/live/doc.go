// Package live runs a service on its config file the way the contract
// (config/CONTRACT.md, "Reloading") asks: it watches the file's directory,
// re-hashes the file on a poll and on SIGUSR1, judges new content with the
// service's own judge, swaps the running config as a whole, keeps the last
// good one when a file is refused, and reports the /status fields every
// service shares. The scanner runs on it; a user's own Go service can too.
//
//	state := live.NewState[*Config](path)
//	r := live.NewReloader(path, state, live.Options[*Config]{Judge: parse, ...})
//	w := live.NewWatcher(path, r, true, sigusr1, log)
//	r.Reload(ctx, live.TriggerStart)
//	go w.Run(ctx)
//	// /status: state.Snapshot().Status()
package live
