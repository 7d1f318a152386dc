package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
)

// statusBody is the /status document; its fields are the contract both
// services share, so the toolkit can compare them.
type statusBody struct {
	Service      string  `json:"service"`
	ConfigPath   string  `json:"config_path"`
	ConfigSHA256 *string `json:"config_sha256"`
	LoadedAt     *string `json:"loaded_at"`
	Reloads      int     `json:"reloads"`
	Rejected     int     `json:"rejected"`
	LastError    *string `json:"last_error"`
	// LastRejectedSHA256 is the hash of the bytes last refused, until a config is applied.
	LastRejectedSHA256 *string `json:"last_rejected_sha256"`
	Config             *Config `json:"config"`
	Scans              int64   `json:"scans"`
}

// newHandler serves the probes and the status.
func newHandler(state *State, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, log, http.StatusOK, map[string]any{"ok": true})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		snap := state.Snapshot()
		if snap.Applied != nil {
			writeJSON(w, log, http.StatusOK, map[string]any{"ready": true})
			return
		}
		reason := "no valid config has been applied yet"
		if snap.LastError != nil {
			reason = *snap.LastError
		}
		writeJSON(w, log, http.StatusServiceUnavailable, map[string]any{"ready": false, "error": reason})
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		snap := state.Snapshot()
		body := statusBody{
			Service:            serviceName,
			ConfigPath:         snap.Path,
			Reloads:            snap.Reloads,
			Rejected:           snap.Rejected,
			LastError:          snap.LastError,
			Scans:              snap.Scans,
			LastRejectedSHA256: snap.LastRejected,
		}
		if a := snap.Applied; a != nil {
			sha, at := a.SHA256, formatTime(a.LoadedAt)
			body.ConfigSHA256, body.LoadedAt, body.Config = &sha, &at, a.Config
		}
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
