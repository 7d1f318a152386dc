// Command judge is a long-running Go judge for differential testing
// (bench/fuzz_differential.py, tests/test_fuzz_differential.py).
//
//	judge path/to/schema.json
//
// It reads documents from stdin, each a 4-byte big-endian length followed by
// that many bytes, and writes one JSON line per document to stdout:
// {"ok": bool, "keys": [sorted keys at fault], "syntax": bool}.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"traderadmin.local/configcontract"
)

type verdict struct {
	OK     bool     `json:"ok"`
	Keys   []string `json:"keys"`
	Syntax bool     `json:"syntax"`
	Error  string   `json:"error,omitempty"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: judge schema.json")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	schema, err := configcontract.CompileSchema(raw)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	defer out.Flush()
	enc := json.NewEncoder(out)
	var head [4]byte
	for {
		if _, err := io.ReadFull(in, head[:]); err != nil {
			if err == io.EOF {
				return
			}
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		data := make([]byte, binary.BigEndian.Uint32(head[:]))
		if _, err := io.ReadFull(in, data); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := enc.Encode(judge(schema, data)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		// Flush when no more input is buffered, so a caller waiting on each answer never stalls.
		if in.Buffered() == 0 {
			if err := out.Flush(); err != nil {
				os.Exit(1)
			}
		}
	}
}

func judge(schema *configcontract.Schema, data []byte) (v verdict) {
	defer func() {
		if r := recover(); r != nil {
			v = verdict{Error: fmt.Sprintf("panic: %v", r), Keys: []string{"<panic>"}}
		}
	}()
	v.Keys = []string{}
	_, err := schema.Judge(data)
	if err == nil {
		v.OK = true
		return v
	}
	var cerr *configcontract.ConfigError
	if !errors.As(err, &cerr) {
		v.Error = err.Error()
		v.Keys = []string{"<error>"}
		return v
	}
	v.Syntax, v.Error = cerr.Syntax, cerr.Error()
	seen := map[string]bool{}
	for _, is := range cerr.Issues {
		if is.Key != "" && !seen[is.Key] {
			seen[is.Key] = true
			v.Keys = append(v.Keys, is.Key)
		}
	}
	sort.Strings(v.Keys)
	return v
}
