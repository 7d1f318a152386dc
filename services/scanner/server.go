package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"traderadmin.local/configcontract/live"
)

// statusBody is the /status document: the fields every service shares
// (live.Status) plus the scanner's own.
type statusBody struct {
	Service string `json:"service"`
	live.Status
	Scans int64 `json:"scans"`
}

// newHandler serves the probes and the status.
func newHandler(state *State, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, log, http.StatusOK, map[string]any{"ok": true})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		ok, reason := state.Snapshot().Ready()
		if ok {
			writeJSON(w, log, http.StatusOK, map[string]any{"ready": true})
			return
		}
		writeJSON(w, log, http.StatusServiceUnavailable, map[string]any{"ready": false, "error": reason})
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		snap := state.Snapshot()
		body := statusBody{Service: serviceName, Status: snap.Status(), Scans: snap.Scans}
		writeJSON(w, log, http.StatusOK, body)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, log *slog.Logger, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if err := json.NewEncoder(w).Encode(body); err != nil {
		log.Debug("Writing response failed", "error", err.Error())
	}
}
