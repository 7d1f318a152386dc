package main

import (
	"bytes"
	"testing"

	"github.com/BurntSushi/toml"
)

// defaultDoc builds a full config from the schema's defaults, the same file
// `invoke config.init` writes, so tests start from a valid config without
// depending on the shared vectors.
func defaultDoc(t testing.TB) map[string]any {
	t.Helper()
	doc := newParser(t).schema.DefaultDocument()
	if doc == nil {
		t.Fatal("schema top level has no properties")
	}
	return doc
}

// encode renders a config document as TOML.
func encode(t testing.TB, doc map[string]any) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(doc); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withValue returns a default config with one key changed.
func withValue(t testing.TB, table, key string, value any) []byte {
	t.Helper()
	doc := defaultDoc(t)
	doc[table].(map[string]any)[key] = value
	return encode(t, doc)
}
