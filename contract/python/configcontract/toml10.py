"""A walk over a TOML document's structure, run before tomllib parses it.

tomllib recurses into arrays and inline tables (a few hundred levels end in a
RecursionError) and takes quadratic time on a dotted key of many thousand parts,
so the depth cap is checked here, on the text, before any parser runs.

The walk follows TOML 1.0's grammar down to the token level and refuses what is
outside it. tomllib would refuse all of that too; the walk does it so that every
judge words a refusal alike: the scanner runs the same walk (toml10.go), where
it also keeps out the TOML 1.1 syntax its parser accepts. Number and date forms,
duplicate keys and table redefinitions are left to the parser.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_DEPTH = 32
"""Keys (each part of a dotted key or table header) and array steps from the top to any value."""

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR = re.compile(r"[A-Za-z0-9_+.:-]*")
_SPACE = re.compile(r"[ \t]*")
_FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HHMM = re.compile(r"[0-9]{2}:[0-9]{2}")
# Runs of characters a string or comment may hold without a closer look.
_BASIC_RUN = re.compile(r'[^"\\\x00-\x1f\x7f]+')
_LITERAL_RUN = re.compile(r"[^'\x00-\x1f\x7f]+")
_COMMENT_RUN = re.compile(r"[^\x00-\x08\x0a-\x1f\x7f]+")
# Plain array items with their commas ("SPY", 1, 2.5, true: no time, no escape, no
# comment), the bulk of a long array, taken in one step; anything else goes the long way.
_PLAIN_ITEMS = re.compile(r"""(?:(?:[ \t\n]|\r\n)*(?:[A-Za-z0-9_+.-]+|"[^"\\\x00-\x1f\x7f]*"|'[^'\x00-\x1f\x7f]*')(?:[ \t\n]|\r\n)*,)+""")
_MULTILINE_RUN = {'"': re.compile(r'[^"\\\x00-\x08\x0a-\x1f\x7f]+'), "'": re.compile(r"[^'\x00-\x08\x0a-\x1f\x7f]+")}

# Where Python's repr and Go's strconv.QuoteRune differ, Go's spelling.
_GO_QUOTED = {"'": "'\\''", "\a": "'\\a'", "\b": "'\\b'", "\f": "'\\f'", "\v": "'\\v'"}

_DEEP = f"tables and arrays nest more than {MAX_DEPTH} levels deep, the limit for a config"


class _Refused(Exception):
    def __init__(self, pos: int, message: str, rule: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message
        self.rule = rule


@dataclass(frozen=True)
class Refusal:
    """Why the walk refused a text: where, the reason, and the rule broken ("bom", "depth", "toml")."""

    line: int
    column: int
    reason: str
    rule: str

    def __str__(self) -> str:
        return f"invalid TOML at line {self.line}, column {self.column}: {self.reason}"


def refusal(text: str) -> Refusal | None:
    """Why `text` is refused before parsing, or None."""
    walk = _Walk(text)
    try:
        walk.document()
    except _Refused as e:
        line = text.count("\n", 0, e.pos) + 1
        column = e.pos - (text.rfind("\n", 0, e.pos) + 1) + 1
        return Refusal(line, column, e.message, e.rule)
    return None


def check_toml10(text: str) -> str | None:
    """Why `text` is refused before parsing ("invalid TOML at line L, column C: ..."), or None."""
    found = refusal(text)
    return None if found is None else str(found)


def _is_control(c: str) -> bool:
    """U+0000 to U+001F except tab, and U+007F: what TOML refuses outside escapes."""
    return (c < " " and c != "\t") or c == "\x7f"


class _Walk:
    def __init__(self, text: str) -> None:
        self.s = text
        self.pos = 0

    # --- helpers ------------------------------------------------------------

    def peek(self, ahead: int = 0) -> str:
        i = self.pos + ahead
        return self.s[i] if i < len(self.s) else ""

    def eof(self) -> bool:
        return self.pos >= len(self.s)

    def fail(self, message: str, pos: int | None = None, rule: str = "toml") -> _Refused:
        return _Refused(self.pos if pos is None else pos, message, rule)

    def found(self) -> str:
        if self.eof():
            return "end of file"
        c = self.s[self.pos]
        return _GO_QUOTED.get(c) or repr(c)  # as Go's strconv.QuoteRune writes it

    def skip_space(self) -> None:
        self.pos = _SPACE.match(self.s, self.pos).end()

    def control_char(self) -> _Refused:
        return self.fail(f'control character U+{ord(self.s[self.pos]):04X} is not allowed in TOML '
                         '(write it as an escape in a "..." string)')

    # --- grammar ------------------------------------------------------------

    def document(self) -> None:
        if self.s.startswith("\ufeff"):
            raise self.fail("the file starts with a byte-order mark (U+FEFF), which TOML 1.0 does not allow; "
                            "save it as UTF-8 without a BOM", rule="bom")
        table = 0  # the depth of the current [table]
        while True:
            self.skip_space()
            c = self.peek()
            if c == "":
                return
            if c in "\r\n":
                self.newline()
                continue
            if c == "#":
                self.comment()
                continue
            if c == "[":
                table = self.header()
            else:
                self.key_value(table)
            self.skip_space()
            if self.peek() == "#":
                self.comment()
            if self.eof():
                return
            if self.peek() not in "\r\n":
                raise self.fail("expected a newline or a comment after a key/value pair or table header, "
                                f"but found {self.found()}")

    def header(self) -> int:
        start = self.pos
        self.pos += 1
        aot = self.peek() == "["
        if aot:
            self.pos += 1
        parts = self.key(0)
        self.skip_space()
        closing = "]]" if aot else "]"
        if not self.s.startswith(closing, self.pos):
            raise self.fail(f'expected "{closing}" to close the table header, but found {self.found()}')
        self.pos += len(closing)
        depth = parts + aot  # the array step
        if depth > MAX_DEPTH:
            raise self.fail(_DEEP, start, rule="depth")
        return depth

    def key_value(self, depth: int) -> None:
        parts = self.key(depth)
        self.skip_space()
        if self.peek() != "=":
            raise self.fail(f"expected '=' after a key, but found {self.found()}")
        self.pos += 1
        self.skip_space()
        self.value(depth + parts)

    def key(self, depth: int) -> int:
        """A dotted key in a table `depth` levels down: how many parts it has.

        Stops at the first part too deep, rather than after a key that may be a
        megabyte long.
        """
        parts = 0
        while True:
            self.skip_space()
            if depth + parts >= MAX_DEPTH:
                raise self.fail(_DEEP, rule="depth")
            c = self.peek()
            if c in ('"', "'"):
                self.string(c)
            elif bare := _BARE.match(self.s, self.pos):
                self.pos = bare.end()
            else:
                raise self.fail(f"expected a key, but found {self.found()} (bare keys are A-Z a-z 0-9 _ -; quote others)")
            parts += 1
            self.skip_space()
            if self.peek() != ".":
                return parts
            self.pos += 1

    def value(self, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise self.fail(_DEEP, rule="depth")
        c = self.peek()
        if c in ('"', "'"):
            if self.s.startswith(c * 3, self.pos):
                self.multiline_string(c)
            else:
                self.string(c)
        elif c == "[":
            self.array(depth)
        elif c == "{":
            self.inline_table(depth)
        else:
            self.scalar()

    def array(self, depth: int) -> None:
        self.pos += 1
        while True:
            if depth < MAX_DEPTH and (plain := _PLAIN_ITEMS.match(self.s, self.pos)):
                self.pos = plain.end()
            self.skip_blank()
            if self.peek() == "]":
                self.pos += 1
                return
            self.value(depth + 1)
            self.skip_blank()
            c = self.peek()
            if c == "]":
                self.pos += 1
                return
            if c != ",":
                raise self.fail(f"expected ',' or ']' in an array, but found {self.found()}")
            self.pos += 1

    def inline_table(self, depth: int) -> None:
        self.pos += 1
        self.skip_space()
        if self.peek() == "}":
            self.pos += 1
            return
        while True:
            self.inline_one_line()
            parts = self.key(depth)
            self.skip_space()
            if self.peek() != "=":
                raise self.fail(f"expected '=' after a key, but found {self.found()}")
            self.pos += 1
            self.skip_space()
            self.value(depth + parts)
            self.skip_space()
            self.inline_one_line()
            c = self.peek()
            if c == "}":
                self.pos += 1
                return
            if c != ",":
                raise self.fail(f"expected ',' or '}}' in an inline table, but found {self.found()}")
            self.pos += 1
            self.skip_space()
            if self.peek() == "}":
                raise self.fail("a trailing comma in an inline table is TOML 1.1; TOML 1.0 does not allow it")

    def inline_one_line(self) -> None:
        c = self.peek()
        if c in ("\n", "\r"):
            raise self.fail("a line break inside an inline table is TOML 1.1; TOML 1.0 keeps { ... } on one line")
        if c == "#":
            raise self.fail("a comment inside an inline table is TOML 1.1; TOML 1.0 keeps { ... } on one line")

    def scalar(self) -> None:
        start = self.pos
        self.pos = _SCALAR.match(self.s, self.pos).end()
        # A date and a time may be separated by one space: 1979-05-27 07:32:00.
        if (_FULL_DATE.fullmatch(self.s, start, self.pos) and self.peek() == " "
                and "0" <= self.peek(1) <= "9"):
            self.pos = _SCALAR.match(self.s, self.pos + 1).end()
        token = self.s[start:self.pos]
        if not token:
            raise self.fail(f"expected value but found {self.found()} instead")
        at = _time_at(token)
        if at >= 0 and token[at + 5 : at + 6] != ":":
            raise self.fail("a time without seconds is TOML 1.1; TOML 1.0 needs HH:MM:SS", start + at)

    def string(self, quote: str) -> None:
        """"..." (escapes) or '...' (none), on one line."""
        start = self.pos
        self.pos += 1
        run = _BASIC_RUN if quote == '"' else _LITERAL_RUN
        while True:
            if m := run.match(self.s, self.pos):
                self.pos = m.end()
            c = self.peek()
            if c == "":
                raise self.fail("a string is not closed before the end of the file", start)
            if c == quote:
                self.pos += 1
                return
            if c == "\\" and quote == '"':
                self.escape(multiline=False)
            elif c in "\r\n":
                raise self.fail(f"a string cannot span lines; use {quote * 3}...{quote * 3} for text on several lines")
            elif _is_control(c):
                raise self.control_char()
            else:
                self.pos += 1  # a tab

    def multiline_string(self, quote: str) -> None:
        """\"\"\"...\"\"\" (escapes) or '''...''' (none); up to two quotes may end the text before the closing three."""
        start = self.pos
        self.pos += 3
        run = _MULTILINE_RUN[quote]
        while True:
            if m := run.match(self.s, self.pos):
                self.pos = m.end()
            c = self.peek()
            if c == "":
                raise self.fail("a multi-line string is not closed before the end of the file", start)
            if c == quote:
                n = 0
                while self.peek(n) == quote:
                    n += 1
                self.pos += n
                if n >= 3:
                    if n > 5:
                        raise self.fail("too many quotes at the end of a multi-line string")
                    return
            elif c == "\\" and quote == '"':
                self.escape(multiline=True)
            elif c == "\n":
                self.pos += 1
            elif c == "\r" and self.peek(1) == "\n":
                self.pos += 2
            elif _is_control(c):
                raise self.control_char()
            else:
                self.pos += 1  # a tab

    def escape(self, multiline: bool) -> None:
        start = self.pos
        self.pos += 1
        c = self.peek()
        if c != "" and c in 'btnfr"\\':
            self.pos += 1
            return
        if c == "u" or c == "U":
            self.unicode_escape(start, 4 if c == "u" else 8)
            return
        if c == "e" or c == "x":
            raise self.fail(f"\\{c} is a TOML 1.1 escape; TOML 1.0 has \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX "
                            "and \\UXXXXXXXX", start)
        if multiline and c != "" and c in " \t\r\n":
            # A backslash at the end of a line joins it to the next.
            self.skip_space()
            if self.peek() == "\n" or self.s.startswith("\r\n", self.pos):
                while self.peek() in (" ", "\t", "\n") or self.s.startswith("\r\n", self.pos):
                    self.pos += 1
                return
        raise self.fail(f"invalid escape in a string: a backslash followed by {self.found()}", start)

    def unicode_escape(self, start: int, digits: int) -> None:
        self.pos += 1
        hex_digits = self.s[self.pos : self.pos + digits]
        if len(hex_digits) < digits or not all(c in "0123456789abcdefABCDEF" for c in hex_digits):
            raise self.fail(f"a \\u escape needs {digits} hexadecimal digits", start)
        code = int(hex_digits, 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise self.fail(f"{self.s[start:self.pos + digits]} is not a Unicode scalar value", start)
        self.pos += digits

    def comment(self) -> None:
        while True:
            if run := _COMMENT_RUN.match(self.s, self.pos):
                self.pos = run.end()
            c = self.peek()
            if c == "" or c == "\n" or self.s.startswith("\r\n", self.pos):
                return
            raise self.control_char()

    def newline(self) -> None:
        if self.peek() == "\r":
            if self.peek(1) != "\n":
                raise self.control_char()
            self.pos += 1
        self.pos += 1

    def skip_blank(self) -> None:
        """What may sit between array values: spaces, line breaks and comments."""
        while True:
            self.skip_space()
            c = self.peek()
            if c in ("\r", "\n"):
                self.newline()
            elif c == "#":
                self.comment()
            else:
                return


def _time_at(token: str) -> int:
    """Where an HH:MM time starts in a date-time token, or -1."""
    if _HHMM.match(token):
        return 0
    if _FULL_DATE.match(token) and token[10:11] in ("T", "t", " ") and _HHMM.match(token, 11):
        return 11
    return -1
