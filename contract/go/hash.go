package configcontract

import (
	"crypto/sha256"
	"encoding/hex"
)

// Hash is a config's identity: the hex SHA-256 of the file's bytes. Every
// service reports the hash it runs, and the toolkit compares hashes to
// confirm a reload, so all of them must hash the same bytes the same way.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
