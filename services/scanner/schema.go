package main

import _ "embed"

// The scanner validates with the very schema the toolkit and the orchestrator
// use; a test in the repository fails when this copy drifts from
// config/schema.json, and `go generate` refreshes it.
//
//go:generate cp ../../config/schema.json schema.json
//go:embed schema.json
var schemaJSON []byte
