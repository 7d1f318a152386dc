// Package configcontract is the Go judge of the TraderAdmin config contract
// (config/CONTRACT.md): it reads a config file as the contract allows
// (regular files only, 1 MiB at most), refuses what is not TOML 1.0 or nests
// too deep, and checks the document against schema.json with the rules JSON
// Schema cannot state (x-order, floats for integers, dates, control
// characters). The scanner and the desktop app both judge with it, and a
// user's own Go service can import it to judge alike; the toolkit and the
// orchestrator hold the Python judge, and the shared vectors in tests/vectors
// keep the two in agreement.
package configcontract
