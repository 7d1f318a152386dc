// Package tomledit changes values in a TOML file without touching anything
// else: every comment, blank line, key order, quoting style and line ending
// stays byte for byte, and only the bytes of the edited values change. It is
// the same rule the toolkit's tomlkit edits keep ("only the edited lines
// change"), done here by replacing the byte range go-toml's parser reports
// for each value.
package tomledit

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// Edit sets the dotted Key ("ibkr.reconnect.max_delay_s") to Value, one of
// int64, float64, bool, string, or []any of those.
type Edit struct {
	Key   string
	Value any
}

// KeyError is an edit that cannot be made in this file; it names the key.
type KeyError struct {
	Key string
	Msg string
	Fix string
}

func (e *KeyError) Error() string { return e.Key + ": " + e.Msg }

// span is where one value sits in the file: [start, end) are the value's
// bytes, lineEnd the offset just after its line's newline.
type span struct {
	start, end, lineEnd int
}

// section is one [table] header of the file: where its lines end.
type section struct {
	lastLineEnd int // after the header line, then after each of its key/value lines
}

// layout is what the parser tells about the file.
type layout struct {
	values   map[string]span     // full dotted key -> value bytes
	tables   map[string]*section // dotted table name -> its [header] section
	inArrays map[string]bool     // table names defined by [[array of tables]]
	crlf     bool
}

// Apply returns data with each edit made. An edit whose value equals the
// value in the file already changes nothing; a key missing from the file
// gets a new line at the end of its table's section (the table is appended
// when the file has no header for it).
func Apply(data []byte, edits []Edit) ([]byte, error) {
	lay, err := scan(data)
	if err != nil {
		return nil, err
	}
	type repl struct {
		start, end, seq int
		text            []byte
	}
	var repls []repl
	appendix := map[string][]string{} // table -> new key lines for tables without a header
	var appendOrder []string
	for seq, e := range edits {
		parts := strings.Split(e.Key, ".")
		if len(parts) < 2 {
			return nil, &KeyError{Key: e.Key, Msg: "is a table, not a value", Fix: "set one of its keys"}
		}
		if _, isTable := lay.tables[e.Key]; isTable {
			return nil, &KeyError{Key: e.Key, Msg: "is a table in the file, not a value", Fix: "set one of its keys"}
		}
		table := strings.Join(parts[:len(parts)-1], ".")
		for t := range lay.inArrays {
			if table == t || strings.HasPrefix(table, t+".") {
				return nil, &KeyError{Key: e.Key, Msg: "lies in an array of tables, which the form does not edit", Fix: "edit it by hand in config.toml"}
			}
		}
		if sp, ok := lay.values[e.Key]; ok {
			old := data[sp.start:sp.end]
			text, err := Encode(e.Value, old, lay.crlf)
			if err != nil {
				return nil, &KeyError{Key: e.Key, Msg: err.Error()}
			}
			if !bytes.Equal(text, old) {
				repls = append(repls, repl{sp.start, sp.end, seq, text})
			}
			continue
		}
		text, err := Encode(e.Value, nil, lay.crlf)
		if err != nil {
			return nil, &KeyError{Key: e.Key, Msg: err.Error()}
		}
		line := bareKey(parts[len(parts)-1]) + " = " + string(text)
		if sec, ok := lay.tables[table]; ok {
			if sec == nil {
				return nil, &KeyError{Key: e.Key, Msg: "is missing from a table written inline or with dotted keys, where the form cannot add it",
					Fix: "add it by hand in config.toml, or restore a backup"}
			}
			repls = append(repls, repl{sec.lastLineEnd, sec.lastLineEnd, seq, []byte(line + lay.eol())})
			continue
		}
		if _, seen := appendix[table]; !seen {
			appendOrder = append(appendOrder, table)
		}
		appendix[table] = append(appendix[table], line)
	}
	// Replace from the end so earlier offsets stay valid; of two insertions
	// at one offset the later edit goes in first, so they read in the
	// order they were given.
	sort.Slice(repls, func(i, j int) bool {
		if repls[i].start != repls[j].start {
			return repls[i].start > repls[j].start
		}
		return repls[i].seq > repls[j].seq
	})
	out := append([]byte(nil), data...)
	for _, r := range repls {
		tail := append([]byte(nil), out[r.end:]...)
		out = append(append(out[:r.start], r.text...), tail...)
	}
	if len(appendOrder) > 0 {
		eol := lay.eol()
		if len(out) > 0 && !bytes.HasSuffix(out, []byte("\n")) {
			out = append(out, eol...)
		}
		for _, table := range appendOrder {
			out = append(out, eol+"["+dottedKey(table)+"]"+eol...)
			for _, line := range appendix[table] {
				out = append(out, line+eol...)
			}
		}
	}
	return out, nil
}

func (l *layout) eol() string {
	if l.crlf {
		return "\r\n"
	}
	return "\n"
}

// scan parses data and records where every value and table header is.
func scan(data []byte) (*layout, error) {
	lay := &layout{
		values:   map[string]span{},
		tables:   map[string]*section{},
		inArrays: map[string]bool{},
		crlf:     bytes.Contains(data, []byte("\r\n")),
	}
	p := unstable.Parser{}
	p.Reset(data)
	var current *section
	prefix := ""
	for p.NextExpression() {
		n := p.Expression()
		switch n.Kind {
		case unstable.Table, unstable.ArrayTable:
			name, last := keyOf(n.Key())
			end := lineEnd(data, int(last.Raw.Offset+last.Raw.Length))
			prefix = name
			if n.Kind == unstable.ArrayTable {
				lay.inArrays[name] = true
				current = nil
				continue
			}
			current = &section{lastLineEnd: end}
			lay.tables[name] = current
		case unstable.KeyValue:
			end, err := lay.keyValue(data, n, prefix)
			if err != nil {
				return nil, err
			}
			if current != nil {
				current.lastLineEnd = end
			}
		}
	}
	if err := p.Error(); err != nil {
		return nil, fmt.Errorf("config.toml does not parse, so it cannot be edited in place: %v; fix it by hand or restore a backup", err)
	}
	return lay, nil
}

// keyValue records one key/value (and, for an inline table, the values in
// it) and returns the offset after its line.
func (l *layout) keyValue(data []byte, n *unstable.Node, prefix string) (int, error) {
	name, last := keyOf(n.Key())
	full := join(prefix, name)
	start := int(last.Raw.Offset + last.Raw.Length)
	for start < len(data) && (data[start] == ' ' || data[start] == '\t') {
		start++
	}
	if start >= len(data) || data[start] != '=' {
		return 0, fmt.Errorf("%s: no '=' after the key", full)
	}
	start++
	for start < len(data) && (data[start] == ' ' || data[start] == '\t') {
		start++
	}
	end := int(n.Raw.Offset + n.Raw.Length)
	value := n.Value()
	if value.Kind == unstable.InlineTable {
		l.tables[full] = nil
		for it := value.Children(); it.Next(); {
			child := it.Node()
			if child.Kind != unstable.KeyValue {
				continue
			}
			if _, err := l.keyValue(data, child, full); err != nil {
				return 0, err
			}
		}
	}
	// A dotted key (a.b = 1) under a table defines the table a too.
	if i := strings.LastIndex(full, "."); i > 0 {
		if _, ok := l.tables[full[:i]]; !ok && full[:i] != prefix {
			l.tables[full[:i]] = nil
		}
	}
	l.values[full] = span{start: start, end: end, lineEnd: lineEnd(data, end)}
	return lineEnd(data, end), nil
}

// keyOf joins a key's parts with dots and returns its last part.
func keyOf(it unstable.Iterator) (string, *unstable.Node) {
	var parts []string
	var last *unstable.Node
	for it.Next() {
		last = it.Node()
		parts = append(parts, string(last.Data))
	}
	return strings.Join(parts, "."), last
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// lineEnd is the offset after the newline that ends the line holding offset.
func lineEnd(data []byte, offset int) int {
	if i := bytes.IndexByte(data[offset:], '\n'); i >= 0 {
		return offset + i + 1
	}
	return len(data)
}

// bareKey quotes a key part unless TOML allows it bare.
func bareKey(k string) string {
	if k == "" {
		return `""`
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return basicString(k)
		}
	}
	return k
}

func dottedKey(table string) string {
	parts := strings.Split(table, ".")
	for i, p := range parts {
		parts[i] = bareKey(p)
	}
	return strings.Join(parts, ".")
}
