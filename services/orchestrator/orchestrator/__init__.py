"""The orchestrator service: runs on a validated config and applies a new one while running.

Layers, each in its own module:
  signals   SIGUSR1 as a pipe a thread waits on (no code in the handler; installed first)
  config    the bundled schema, judged by the config contract package (configcontract)
  reloader  decides when to reload (watch, poll, signal) and swaps the config atomically
  server    /healthz, /readyz and /status over HTTP
  logs      one JSON object per line on stdout
  cli       command line and wiring

This file imports nothing: `python -m orchestrator` runs it before the signal
handler is installed, and that must happen as early as possible.
"""
