"""The orchestrator service: runs on a validated config and applies a new one while running.

Layers, each in its own module:
  signals   SIGUSR1 as a pipe a thread waits on (no code in the handler; installed first)
  config    read, parse and validate a config file against the bundled schema
  _toml10   the walk over the text before parsing: the depth cap, TOML 1.0's structure
  reloader  decides when to reload (watch, poll, signal) and swaps the config atomically
  server    /healthz, /readyz and /status over HTTP
  logs      one JSON object per line on stdout
  cli       command line and wiring

This file imports nothing: `python -m orchestrator` runs it before the signal
handler is installed, and that must happen as early as possible.
"""
