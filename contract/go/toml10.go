package configcontract

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxDepth caps how deeply a config may nest: the length of the longest
// path from the top to a value, where every key (each part of a dotted key
// or table header) and every array step counts one. The orchestrator uses
// the same number; see config/CONTRACT.md.
const MaxDepth = 32

// checkTOML10 walks the document's structure once, before the TOML library
// sees it, and refuses two things the library would let through:
//
//   - TOML 1.1 syntax. go-toml reads TOML 1.1 (\e and \xHH escapes, line
//     breaks, comments and a trailing comma inside inline tables, times
//     without seconds); the orchestrator's parser reads TOML 1.0 only, and
//     both services must judge a file alike. The walk follows TOML 1.0's
//     grammar down to the token level and refuses anything outside it;
//     number and date forms, duplicate keys and table redefinitions are left
//     to the library, which judges those as TOML 1.0 does.
//   - nesting deeper than MaxDepth. Parsers recurse into arrays and inline
//     tables, and dotted keys thousands of parts long take them quadratic
//     time and memory, so the depth is checked before any parser runs.
//
// The orchestrator's config.py runs the same walk with the same messages.
func checkTOML10(src string) *ConfigError {
	w := &tomlWalk{src: src}
	if err := w.document(); err != nil {
		line, col := w.lineCol(err.pos)
		return syntaxError(line, col, err.msg)
	}
	return nil
}

type tomlWalk struct {
	src string
	pos int
}

// walkError is a refusal at a byte offset of the document.
type walkError struct {
	pos int
	msg string
}

func (w *tomlWalk) failAt(pos int, format string, args ...any) *walkError {
	return &walkError{pos: pos, msg: fmt.Sprintf(format, args...)}
}

func (w *tomlWalk) fail(format string, args ...any) *walkError {
	return w.failAt(w.pos, format, args...)
}

// lineCol turns a byte offset into a 1-based line and a column in
// characters, as Python's tomllib counts them.
func (w *tomlWalk) lineCol(pos int) (int, int) {
	line, start := 1, 0
	for i := 0; i < pos && i < len(w.src); i++ {
		if w.src[i] == '\n' {
			line, start = line+1, i+1
		}
	}
	return line, utf8.RuneCountInString(w.src[start:min(pos, len(w.src))]) + 1
}

// peek returns the byte at pos+ahead, or 0 past the end (0 is never valid
// TOML, so it ends every loop below).
func (w *tomlWalk) peek(ahead int) byte {
	if i := w.pos + ahead; i < len(w.src) {
		return w.src[i]
	}
	return 0
}

func (w *tomlWalk) eof() bool { return w.pos >= len(w.src) }

// found describes the byte at pos for a message.
func (w *tomlWalk) found() string {
	if w.eof() {
		return "end of file"
	}
	r, _ := utf8.DecodeRuneInString(w.src[w.pos:])
	return strconv.QuoteRune(r)
}

func (w *tomlWalk) document() *walkError {
	if len(w.src) >= 3 && w.src[:3] == "\uFEFF" {
		return w.fail("the file starts with a byte-order mark (U+FEFF), which TOML 1.0 does not allow; save it as UTF-8 without a BOM")
	}
	table := 0 // the depth of the current [table]
	for {
		w.skipSpace()
		switch c := w.peek(0); {
		case w.eof():
			return nil
		case c == '\n' || c == '\r':
			if err := w.newline(); err != nil {
				return err
			}
			continue
		case c == '#':
			if err := w.comment(); err != nil {
				return err
			}
			continue
		case c == '[':
			depth, err := w.header()
			if err != nil {
				return err
			}
			table = depth
		default:
			if err := w.keyValue(table); err != nil {
				return err
			}
		}
		w.skipSpace()
		if w.peek(0) == '#' {
			if err := w.comment(); err != nil {
				return err
			}
		}
		if w.eof() {
			return nil
		}
		if c := w.peek(0); c != '\n' && c != '\r' {
			return w.fail("expected a newline or a comment after a key/value pair or table header, but found %s", w.found())
		}
	}
}

// header reads [a.b] or [[a.b]] and returns the depth of what follows it.
func (w *tomlWalk) header() (int, *walkError) {
	start := w.pos
	w.pos++
	aot := w.peek(0) == '['
	if aot {
		w.pos++
	}
	parts, err := w.key(0)
	if err != nil {
		return 0, err
	}
	w.skipSpace()
	closing := "]"
	if aot {
		closing = "]]"
	}
	if len(w.src)-w.pos < len(closing) || w.src[w.pos:w.pos+len(closing)] != closing {
		return 0, w.fail("expected %q to close the table header, but found %s", closing, w.found())
	}
	w.pos += len(closing)
	depth := parts
	if aot {
		depth++ // the array step
	}
	if depth > MaxDepth {
		return 0, w.failAt(start, "tables and arrays nest more than %d levels deep, the limit for a config", MaxDepth)
	}
	return depth, nil
}

func (w *tomlWalk) keyValue(depth int) *walkError {
	parts, err := w.key(depth)
	if err != nil {
		return err
	}
	w.skipSpace()
	if w.peek(0) != '=' {
		return w.fail("expected '=' after a key, but found %s", w.found())
	}
	w.pos++
	w.skipSpace()
	return w.value(depth + parts)
}

// key reads a dotted key in a table depth levels down and returns how
// many parts it has. It stops at the first part too deep, rather than after
// a key that may be a megabyte long.
func (w *tomlWalk) key(depth int) (int, *walkError) {
	parts := 0
	for {
		w.skipSpace()
		if depth+parts >= MaxDepth {
			return 0, w.fail("tables and arrays nest more than %d levels deep, the limit for a config", MaxDepth)
		}
		switch c := w.peek(0); {
		case c == '"' || c == '\'':
			if err := w.str(c); err != nil {
				return 0, err
			}
		case isBareKeyByte(c):
			for isBareKeyByte(w.peek(0)) {
				w.pos++
			}
		default:
			return 0, w.fail("expected a key, but found %s (bare keys are A-Z a-z 0-9 _ -; quote others)", w.found())
		}
		parts++
		w.skipSpace()
		if w.peek(0) != '.' {
			return parts, nil
		}
		w.pos++
	}
}

// value reads one value that sits depth levels down.
func (w *tomlWalk) value(depth int) *walkError {
	if depth > MaxDepth {
		return w.fail("tables and arrays nest more than %d levels deep, the limit for a config", MaxDepth)
	}
	switch w.peek(0) {
	case '"', '\'':
		if q := w.peek(0); w.peek(1) == q && w.peek(2) == q {
			return w.multilineString(q)
		}
		return w.str(w.peek(0))
	case '[':
		return w.array(depth)
	case '{':
		return w.inlineTable(depth)
	}
	return w.scalar()
}

func (w *tomlWalk) array(depth int) *walkError {
	w.pos++
	for {
		if err := w.skipBlank(); err != nil {
			return err
		}
		if w.peek(0) == ']' {
			w.pos++
			return nil
		}
		if err := w.value(depth + 1); err != nil {
			return err
		}
		if err := w.skipBlank(); err != nil {
			return err
		}
		switch w.peek(0) {
		case ',':
			w.pos++
		case ']':
			w.pos++
			return nil
		default:
			return w.fail("expected ',' or ']' in an array, but found %s", w.found())
		}
	}
}

// inlineTable reads { k = v, ... }, which TOML 1.0 keeps on one line with no
// trailing comma.
func (w *tomlWalk) inlineTable(depth int) *walkError {
	w.pos++
	w.skipSpace()
	if w.peek(0) == '}' {
		w.pos++
		return nil
	}
	for {
		if err := w.inlineOneLine(); err != nil {
			return err
		}
		parts, err := w.key(depth)
		if err != nil {
			return err
		}
		w.skipSpace()
		if w.peek(0) != '=' {
			return w.fail("expected '=' after a key, but found %s", w.found())
		}
		w.pos++
		w.skipSpace()
		if err := w.value(depth + parts); err != nil {
			return err
		}
		w.skipSpace()
		if err := w.inlineOneLine(); err != nil {
			return err
		}
		switch w.peek(0) {
		case ',':
			w.pos++
			w.skipSpace()
			if w.peek(0) == '}' {
				return w.fail("a trailing comma in an inline table is TOML 1.1; TOML 1.0 does not allow it")
			}
		case '}':
			w.pos++
			return nil
		default:
			return w.fail("expected ',' or '}' in an inline table, but found %s", w.found())
		}
	}
}

// inlineOneLine refuses a line break or comment where an inline table
// continues (after spaces have been skipped).
func (w *tomlWalk) inlineOneLine() *walkError {
	switch w.peek(0) {
	case '\n', '\r':
		return w.fail("a line break inside an inline table is TOML 1.1; TOML 1.0 keeps { ... } on one line")
	case '#':
		return w.fail("a comment inside an inline table is TOML 1.1; TOML 1.0 keeps { ... } on one line")
	}
	return nil
}

// scalar reads a number, boolean or date-time token. Its exact form is the
// TOML library's to judge, except that TOML 1.0 times have seconds.
func (w *tomlWalk) scalar() *walkError {
	start := w.pos
	for isScalarByte(w.peek(0)) {
		w.pos++
	}
	// A date and a time may be separated by one space: 1979-05-27 07:32:00.
	if isFullDate(w.src[start:w.pos]) && w.peek(0) == ' ' && isDigit(w.peek(1)) {
		w.pos++
		for isScalarByte(w.peek(0)) {
			w.pos++
		}
	}
	tok := w.src[start:w.pos]
	if tok == "" {
		return w.fail("expected value but found %s instead", w.found())
	}
	if at := timeAt(tok); at >= 0 && (len(tok) <= at+5 || tok[at+5] != ':') {
		return w.failAt(start+at, "a time without seconds is TOML 1.1; TOML 1.0 needs HH:MM:SS")
	}
	return nil
}

// timeAt returns where an HH:MM time starts in a date-time token, or -1.
func timeAt(tok string) int {
	if isHHMM(tok) {
		return 0
	}
	if isFullDate(tok[:min(len(tok), 10)]) && len(tok) > 11 && (tok[10] == 'T' || tok[10] == 't' || tok[10] == ' ') && isHHMM(tok[11:]) {
		return 11
	}
	return -1
}

func isHHMM(s string) bool {
	return len(s) >= 5 && isDigit(s[0]) && isDigit(s[1]) && s[2] == ':' && isDigit(s[3]) && isDigit(s[4])
}

func isFullDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9} {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// str reads a one-line string: basic ("...", with escapes) or literal
// ('...', none); no line break, no control characters.
func (w *tomlWalk) str(quote byte) *walkError {
	start := w.pos
	w.pos++
	for {
		switch c := w.peek(0); {
		case w.eof():
			return w.failAt(start, "a string is not closed before the end of the file")
		case c == quote:
			w.pos++
			return nil
		case c == '\\' && quote == '"':
			if err := w.escape(false); err != nil {
				return err
			}
		case c == '\n' || c == '\r':
			q := strings.Repeat(string(quote), 3)
			return w.fail("a string cannot span lines; use %s...%s for text on several lines", q, q)
		case isControl(c):
			return w.controlChar()
		default:
			w.pos++
		}
	}
}

// multilineString reads a multi-line string: basic (three double quotes,
// with escapes) or literal (three single quotes, none). Up to two quotes may
// end the text right before the closing three.
func (w *tomlWalk) multilineString(quote byte) *walkError {
	start := w.pos
	w.pos += 3
	for {
		switch c := w.peek(0); {
		case w.eof():
			return w.failAt(start, "a multi-line string is not closed before the end of the file")
		case c == quote:
			n := 0
			for w.peek(n) == quote {
				n++
			}
			w.pos += n
			if n >= 3 {
				if n > 5 {
					return w.fail("too many quotes at the end of a multi-line string")
				}
				return nil
			}
		case c == '\\' && quote == '"':
			if err := w.escape(true); err != nil {
				return err
			}
		case c == '\n':
			w.pos++
		case c == '\r' && w.peek(1) == '\n':
			w.pos += 2
		case isControl(c):
			return w.controlChar()
		default:
			w.pos++
		}
	}
}

// escape reads a backslash escape of a basic string. In a multi-line one a
// backslash at the end of a line joins it to the next.
func (w *tomlWalk) escape(multiline bool) *walkError {
	start := w.pos
	w.pos++
	switch c := w.peek(0); c {
	case 'b', 't', 'n', 'f', 'r', '"', '\\':
		w.pos++
		return nil
	case 'u':
		return w.unicodeEscape(start, 4)
	case 'U':
		return w.unicodeEscape(start, 8)
	case 'e', 'x':
		return w.failAt(start, `\%c is a TOML 1.1 escape; TOML 1.0 has \b \t \n \f \r \" \\ \uXXXX and \UXXXXXXXX`, c)
	case ' ', '\t', '\n', '\r':
		if multiline {
			w.skipSpace()
			if c := w.peek(0); c == '\n' || (c == '\r' && w.peek(1) == '\n') {
				for c := w.peek(0); c == ' ' || c == '\t' || c == '\n' || (c == '\r' && w.peek(1) == '\n'); c = w.peek(0) {
					w.pos++
				}
				return nil
			}
		}
	}
	return w.failAt(start, "invalid escape in a string: a backslash followed by %s", w.found())
}

func (w *tomlWalk) unicodeEscape(start, digits int) *walkError {
	w.pos++
	if len(w.src)-w.pos < digits {
		return w.failAt(start, "a \\u escape needs %d hexadecimal digits", digits)
	}
	code, err := strconv.ParseUint(w.src[w.pos:w.pos+digits], 16, 32)
	if err != nil {
		return w.failAt(start, "a \\u escape needs %d hexadecimal digits", digits)
	}
	if !utf8.ValidRune(rune(code)) {
		return w.failAt(start, "%s is not a Unicode scalar value", w.src[start:w.pos+digits])
	}
	w.pos += digits
	return nil
}

func (w *tomlWalk) controlChar() *walkError {
	return w.fail("control character U+%04X is not allowed in TOML (write it as an escape in a \"...\" string)", w.peek(0))
}

// comment reads # to the end of the line.
func (w *tomlWalk) comment() *walkError {
	for {
		switch c := w.peek(0); {
		case w.eof() || c == '\n' || (c == '\r' && w.peek(1) == '\n'):
			return nil
		case isControl(c):
			return w.controlChar()
		default:
			w.pos++
		}
	}
}

// newline reads LF or CRLF; a lone CR is no line break in TOML.
func (w *tomlWalk) newline() *walkError {
	if w.peek(0) == '\r' {
		if w.peek(1) != '\n' {
			return w.controlChar()
		}
		w.pos++
	}
	w.pos++
	return nil
}

func (w *tomlWalk) skipSpace() {
	for c := w.peek(0); c == ' ' || c == '\t'; c = w.peek(0) {
		w.pos++
	}
}

// skipBlank skips what may sit between array values: spaces, line breaks
// and comments.
func (w *tomlWalk) skipBlank() *walkError {
	for {
		w.skipSpace()
		switch w.peek(0) {
		case '\n', '\r':
			if err := w.newline(); err != nil {
				return err
			}
		case '#':
			if err := w.comment(); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

func isBareKeyByte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || isDigit(c) || c == '_' || c == '-'
}

// isScalarByte covers the characters of numbers, booleans, inf/nan and
// date-times.
func isScalarByte(c byte) bool {
	return isBareKeyByte(c) || c == '+' || c == '.' || c == ':'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isControl reports the control characters TOML refuses outside escapes:
// U+0000 to U+001F except tab, and U+007F. Line breaks are handled apart.
func isControl(c byte) bool { return c < 0x20 && c != '\t' || c == 0x7f }
