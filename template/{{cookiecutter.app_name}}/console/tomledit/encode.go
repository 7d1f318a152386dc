package tomledit

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Encode writes v as a TOML 1.0 value. old, when given, is the value's
// current text: its style is kept where the new value allows (a literal
// 'string' stays literal, a list written one item per line stays so).
func Encode(v any, old []byte, crlf bool) ([]byte, error) {
	switch x := v.(type) {
	case bool:
		return []byte(strconv.FormatBool(x)), nil
	case int64:
		return []byte(strconv.FormatInt(x, 10)), nil
	case int:
		return []byte(strconv.Itoa(x)), nil
	case float64:
		return []byte(FormatFloat(x)), nil
	case string:
		if len(old) > 1 && old[0] == '\'' && !bytes.HasPrefix(old, []byte("'''")) && literalOK(x) {
			return []byte("'" + x + "'"), nil
		}
		return []byte(basicString(x)), nil
	case []any:
		return encodeArray(x, old, crlf)
	case []string:
		items := make([]any, len(x))
		for i, s := range x {
			items[i] = s
		}
		return encodeArray(items, old, crlf)
	}
	return nil, fmt.Errorf("%v (%T) is not a value a config setting holds", v, v)
}

func encodeArray(items []any, old []byte, crlf bool) ([]byte, error) {
	texts := make([]string, len(items))
	for i, item := range items {
		if _, nested := item.([]any); nested {
			return nil, fmt.Errorf("a list inside a list is not a value a config setting holds")
		}
		t, err := Encode(item, nil, crlf)
		if err != nil {
			return nil, err
		}
		texts[i] = string(t)
	}
	if len(texts) > 0 && bytes.ContainsAny(old, "\n") {
		return multiline(texts, old, crlf), nil
	}
	return []byte("[" + strings.Join(texts, ", ") + "]"), nil
}

// multiline writes one item per line with the indentation the old list had.
func multiline(texts []string, old []byte, crlf bool) []byte {
	eol := "\n"
	if crlf {
		eol = "\r\n"
	}
	lines := strings.Split(strings.ReplaceAll(string(old), "\r\n", "\n"), "\n")
	indent, closing := "    ", ""
	if len(lines) > 1 {
		second := lines[1]
		indent = second[:len(second)-len(strings.TrimLeft(second, " \t"))]
		last := lines[len(lines)-1]
		closing = last[:len(last)-len(strings.TrimLeft(last, " \t"))]
	}
	var b strings.Builder
	b.WriteString("[" + eol)
	for _, t := range texts {
		b.WriteString(indent + t + "," + eol)
	}
	b.WriteString(closing + "]")
	return []byte(b.String())
}

// FormatFloat writes a float as Python's repr does (and so the toolkit's
// tomlkit): always recognisable as a float ("30.0", not "30"), with an
// exponent only for very small or very large values.
func FormatFloat(x float64) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	case x == 0:
		if math.Signbit(x) {
			return "-0.0"
		}
		return "0.0"
	}
	exp := math.Floor(math.Log10(math.Abs(x)))
	if exp < -4 || exp >= 16 {
		s := strconv.FormatFloat(x, 'e', -1, 64)
		mant, e, _ := strings.Cut(s, "e")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		sign := e[:1]
		digits := strings.TrimLeft(e[1:], "0")
		if sign == "+" {
			sign = ""
		}
		return mant + "e" + sign + digits
	}
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// literalOK reports a string a 'literal string' can hold: no quote, no
// control character.
func literalOK(s string) bool {
	for _, r := range s {
		if r == '\'' || r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// basicString writes s as a TOML "basic string" with the escapes TOML 1.0 has.
func basicString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
