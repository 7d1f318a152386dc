"""Differential fuzzer of the config judges: the toolkit, the orchestrator and the Go contract module.

Configs are built from config/schema.json (valid values, boundary values, wrong types, extra and
missing keys, x-order and port/mode pairs), written out as TOML in varied layouts (section headers,
dotted keys, inline tables, number forms, string escapes, quoted keys, comments, CRLF), and some are
then mutated at the text level (TOML 1.1 syntax, control characters, BOM, bad UTF-8, depth, splices
from the shared vectors). Every judge judges the same bytes; a disagreement is a different verdict,
a syntax refusal on one side only, or a different set of keys at fault when both refuse naming keys.

    python bench/fuzz_differential.py --count 100000 --seed 1 [--seconds 600] [--workers 2]
    python bench/fuzz_differential.py --seed 11 --start 407849 --count 1   # replay one index

Every disagreement is written to bench/out/fuzz-disagreements/<pair>-<n>.toml with the verdicts in
<pair>-<n>.json, ready to become a vector. Deterministic for a given --seed and --count: config i is
generated from (seed, i // CHUNK) whatever the number of workers.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "config" / "schema.json"
VECTORS = ROOT / "tests" / "vectors"
GO_MODULE = ROOT / "contract" / "go"
OUT = ROOT / "bench" / "out" / "fuzz-disagreements"
CHUNK = 250
JUDGES = ("toolkit", "orchestrator", "go")

# --- the schema ----------------------------------------------------------------------------

SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())


def _leaves(node: dict[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    for name, sub in node.get("properties", {}).items():
        if sub.get("type") == "object":
            yield from _leaves(sub, prefix + (name,))
        else:
            yield prefix + (name,), sub


LEAVES = list(_leaves(SCHEMA))
TABLES = [()] + sorted({p[:i] for p, _ in LEAVES for i in range(1, len(p))})


class Raw:
    """A value written verbatim: a TOML literal the Python types cannot express (dates, nan, 1e400)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


_SYMBOL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789."
_DAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]


def valid_value(rng: random.Random, spec: dict[str, Any], key: tuple[str, ...]) -> Any:
    t = spec.get("type")
    if "enum" in spec:
        return rng.choice(spec["enum"])
    if t == "boolean":
        return rng.random() < 0.5
    if t in ("integer", "number"):
        lo, hi = spec.get("minimum", 0), spec.get("maximum", 10**9)
        roll = rng.random()
        if roll < 0.15:
            v = lo
        elif roll < 0.3:
            v = hi
        elif roll < 0.4 and "default" in spec:
            v = spec["default"]
        elif t == "integer":
            v = rng.randint(int(lo), int(hi))
        else:
            v = round(rng.uniform(lo, hi), rng.choice([0, 1, 2, 6, 17]))
            v = min(max(v, lo), hi)
        if t == "integer":
            return int(v)
        return float(v) if rng.random() < 0.7 else (int(v) if float(v).is_integer() else float(v))
    if t == "string":
        if "pattern" in spec:
            if "0-5" in spec["pattern"]:
                return f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
            return rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") + "".join(
                rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") for _ in range(rng.randint(0, 20)))
        n = rng.randint(spec.get("minLength", 0), min(spec.get("maxLength", 40), 40))
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789./-_ éü€𝄞\"\\'#=[]{}"
        return "".join(rng.choice(alphabet) for _ in range(n)) or "x"
    if t == "array":
        items = spec["items"]
        if "enum" in items:
            pool = list(items["enum"])
            rng.shuffle(pool)
            return pool[: rng.randint(1, len(pool))]
        count = rng.choice([1, 1, 2, 3, 5, 8])
        out: list[str] = []
        while len(out) < count:
            s = rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + "".join(
                rng.choice(_SYMBOL_CHARS) for _ in range(rng.randint(0, 9)))
            if s not in out:
                out.append(s)
        return out
    raise AssertionError(spec)


def valid_config(rng: random.Random, single: bool = False) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for path, spec in LEAVES:
        node = doc
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = valid_value(rng, spec, path)
    # Keep the cross-field rules mostly satisfied, so a valid config stays valid more often than not.
    if rng.random() < 0.9 or single:
        s = doc["schedule"]
        if s["market_open"] >= s["market_close"]:
            s["market_open"], s["market_close"] = "09:30", "16:00"
        o = doc["options"]
        if o["min_days_to_expiry"] > o["max_days_to_expiry"]:
            o["min_days_to_expiry"], o["max_days_to_expiry"] = o["max_days_to_expiry"], o["min_days_to_expiry"]
        r = doc["ibkr"]["reconnect"]
        if r["initial_delay_s"] > r["max_delay_s"]:
            r["initial_delay_s"], r["max_delay_s"] = r["max_delay_s"], r["initial_delay_s"]
        live = doc["trading"]["mode"] == "LIVE"
        if doc["ibkr"]["port"] in ((7497, 4002) if live else (7496, 4001)):
            doc["ibkr"]["port"] = rng.choice((7496, 4001) if live else (7497, 4002))
    return doc


# --- value mutations -------------------------------------------------------------------------

_WRONG = [
    Raw("1979-05-27"), Raw("07:32:00"), Raw("1979-05-27T07:32:00Z"), Raw("1979-05-27 07:32:00.999"),
    Raw("nan"), Raw("+nan"), Raw("-nan"), Raw("inf"), Raw("-inf"), Raw("+inf"), Raw("9223372036854775807"),
    Raw("-9223372036854775808"), Raw("9223372036854775808"), Raw("1e308"), Raw("1.7976931348623157e308"),
    Raw("1e309"), Raw("5e-324"), Raw("-0.0"), Raw("+0.0"), Raw("-0"), Raw("+0"), Raw("0x7FFFFFFFFFFFFFFF"),
    Raw("0b1"), Raw("0o777"), Raw("1_000"), Raw("5.0"), Raw("5e0"), Raw("true"), Raw('""'), Raw("''"),
    Raw("[]"), Raw("{}"), Raw("[[]]"), Raw("[1, 2]"), Raw('["A", 1]'), Raw("{ a = 1 }"), Raw('"5"'),
    Raw('"\\u0000"'), Raw('"\\n"'), Raw('"a\\tb"'), Raw('"\\u007f"'), Raw('"\\u0085"'), Raw('"\\u2028"'),
    Raw('"\\U0001F600"'), Raw('"\\uD800"'), Raw('"\\e"'), Raw('"\\x41"'), Raw('"""\nA"""'), Raw("'''\nA\n'''"),
    Raw('"SPY\\n"'), Raw('"09:30\\n"'), Raw('"A\u0130"'), Raw('"\u212a"'), Raw('"\u0661"'),
]


def _boundaries(spec: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for bound in ("minimum", "maximum"):
        if bound in spec:
            b = spec[bound]
            step = 1 if spec["type"] == "integer" else 1e-9
            out += [b, b - step, b + step, float(b), -b, b * 10, Raw(repr(float(b)).replace("e+", "e"))]
    if spec.get("type") == "number":
        out += [0, -0.0, 0.0, 1e-300, -1e-300]
    return out


def _string_variants(spec: dict[str, Any], value: Any) -> list[Any]:
    out: list[Any] = ["", " ", "x" * 254, "x" * 253]
    if isinstance(value, str):
        out += [value.lower(), value.upper(), value + " ", " " + value, value + "\n", value + "\r",
                value + "\x00", value + "\x7f", value + "\x85", value + "\u2028", value + "\u00e9", value * 2]
    if "pattern" in spec:
        out += ["24:00", "9:30", "09:60", "23:59", "00:00", "0930", "09:30:00", "A" * 10, "A" * 11, "A.", "1A",
                "a", "A-B", "BRK.B", "_", "_A1", "A\u0130", "\u0661", "A\u212a", "TRADER_X", "https://x"]
    return out


def mutate_value(rng: random.Random, doc: dict[str, Any], single: bool = False) -> None:
    path, spec = rng.choice(LEAVES)
    node: Any = doc
    for part in path[:-1]:
        if not isinstance(node, dict) or part not in node:
            return
        node = node[part]
    if not isinstance(node, dict):
        return
    name, cur = path[-1], node.get(path[-1])
    roll = rng.random()
    if roll < 0.25:
        choices = _boundaries(spec) or _string_variants(spec, cur)
        node[name] = rng.choice(choices)
    elif roll < 0.45:
        node[name] = rng.choice(_WRONG)
    elif roll < 0.55 and spec.get("type") in ("string", "array"):
        if spec.get("type") == "array":
            items = list(cur) if isinstance(cur, list) else []
            r = rng.random()
            if r < 0.3 and items:
                items.append(items[0])
            elif r < 0.5:
                items = []
            elif r < 0.8:
                items.append(rng.choice(_string_variants(spec["items"], items[0] if items else "A")))
            else:
                items = [rng.choice(_WRONG)] + items
            node[name] = items
        else:
            node[name] = rng.choice(_string_variants(spec, cur))
    elif roll < 0.65:
        node.pop(name, None)
    elif roll < 0.75:
        extra = rng.choice(["hostt", "password", "api_key", "token", "account", "x", "Port", "port ", "ñ", "a.b",
                            "", "mode2", name + "_", name.upper()])
        node[extra] = rng.choice([1, "x", True, 1.5, [1], {"a": 1}])
    elif roll < 0.82:
        table = rng.choice(TABLES)
        target: Any = doc
        for part in table:
            target = target.get(part) if isinstance(target, dict) else None
        if isinstance(target, dict) and target:
            victim = rng.choice(list(target))
            target[victim] = rng.choice([1, "x", [], {}, Raw("[{}]"), True])
    elif roll < 0.9 and isinstance(doc.get("trading"), dict) and isinstance(doc.get("ibkr"), dict):
        # (an earlier mutation may have replaced either table by a plain value)
        if not single or rng.random() < 0.5:
            doc["trading"]["mode"] = rng.choice(["PAPER", "LIVE", "paper", "Live"])
        if not single or doc["trading"].get("mode") in ("PAPER", "LIVE"):
            doc["ibkr"]["port"] = rng.choice([7496, 7497, 4001, 4002, 4003, 1, 65535, 65536, 0, Raw("0x1D48"), 7497.0])
    else:
        pair = rng.choice(SCHEMA["x-order"])
        lo, hi = pair["lower"].split("."), pair["upper"].split(".")
        try:
            a = doc
            for p in lo[:-1]:
                a = a[p]
            b = doc
            for p in hi[:-1]:
                b = b[p]
            a[lo[-1]], b[hi[-1]] = b[hi[-1]], a[lo[-1]]
            if rng.random() < 0.4:
                a[lo[-1]] = b[hi[-1]]
        except (KeyError, TypeError):
            pass


# --- rendering as TOML -----------------------------------------------------------------------

_EQUALS = [" = ", "=", "\t=\t"]
_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def render_key(rng: random.Random, key: str) -> str:
    bare = key != "" and all(c.isascii() and (c.isalnum() or c in "_-") for c in key)
    roll = rng.random()
    if bare and roll < 0.85:
        return key
    if roll < 0.93 or "'" in key or any(ord(c) < 0x20 or ord(c) == 0x7F for c in key):
        return render_string(rng, key, basic_only=True)
    return f"'{key}'"


def render_string(rng: random.Random, s: str, basic_only: bool = False) -> str:
    needs_basic = any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in s)
    roll = rng.random()
    if not basic_only and not needs_basic and "'" not in s and roll < 0.15:
        return f"'{s}'"
    if not basic_only and not needs_basic and "'''" not in s and not s.endswith("'") and roll < 0.2:
        return f"'''{rng.choice(['', chr(10)])}{s}'''"
    out = []
    for c in s:
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif ord(c) < 0x20 or ord(c) == 0x7F or (0x80 <= ord(c) <= 0x9F):
            out.append(f"\\u{ord(c):04X}")
        elif rng.random() < 0.05:
            out.append(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08X}")
        else:
            out.append(c)
    body = "".join(out)
    if not basic_only and rng.random() < 0.1 and not body.endswith('"'):
        return f'"""{rng.choice(["", chr(10)])}{body}"""'
    return f'"{body}"'


def render_int(rng: random.Random, v: int) -> str:
    roll = rng.random()
    if v >= 0 and roll < 0.08:
        return hex(v).replace("0x", "0x" if rng.random() < 0.5 else "0x").upper().replace("0X", "0x")
    if v >= 0 and roll < 0.12:
        return "0o" + format(v, "o")
    if v >= 0 and roll < 0.15:
        return "0b" + format(v, "b")
    s = str(abs(v))
    if len(s) > 3 and roll < 0.3:
        groups = []
        while s:
            groups.insert(0, s[-3:])
            s = s[:-3]
        s = "_".join(groups)
    sign = "-" if v < 0 else ("+" if roll > 0.95 else "")
    return sign + s


def render_float(rng: random.Random, v: float) -> str:
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    r = repr(v)
    roll = rng.random()
    if roll < 0.1:
        r = f"{v:e}".replace("e+", "e")
        if float(r) != v:
            r = repr(v)
    elif roll < 0.15 and "e" not in r:
        r = r + "e0"
    elif roll < 0.2:
        r = r.replace("e", "E")
    if roll > 0.97 and not r.startswith("-"):
        r = "+" + r
    return r


def render_value(rng: random.Random, v: Any, depth: int = 0) -> str:
    if isinstance(v, Raw):
        return v.text
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return render_int(rng, v)
    if isinstance(v, float):
        return render_float(rng, v)
    if isinstance(v, str):
        return render_string(rng, v)
    if isinstance(v, list):
        items = [render_value(rng, x, depth + 1) for x in v]
        if rng.random() < 0.2:
            sep = rng.choice([",\n  ", ", # c\n  ", ",\r\n"])
            return "[\n  " + sep.join(items) + rng.choice(["", ","]) + "\n]"
        return "[" + ", ".join(items) + (rng.choice(["", ","]) if items and rng.random() < 0.2 else "") + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{render_key(rng, k)} = {render_value(rng, x, depth + 1)}"
                               for k, x in v.items()) + "}"
    raise AssertionError(type(v))


def _flat(prefix: list[str], table: dict[str, Any]) -> Iterator[tuple[list[str], Any]]:
    for k, v in table.items():
        if isinstance(v, dict) and v and rng_choice_dotted(v):
            yield from _flat(prefix + [k], v)
        else:
            yield prefix + [k], v


def rng_choice_dotted(_: Any) -> bool:
    return True


def render_doc(rng: random.Random, doc: dict[str, Any]) -> str:
    lines: list[str] = []
    style = rng.random()
    if rng.random() < 0.2:
        lines.append(rng.choice(["# config", "# ünïcødé ☃ 𝄞", "#\t", ""]))

    def dotted(path: list[str]) -> str:
        sep = rng.choice([".", ".", ".", " . "])
        return sep.join(render_key(rng, p) for p in path)

    def emit_table(path: list[str], table: dict[str, Any]) -> None:
        mode = rng.random()
        scalars = [(k, v) for k, v in table.items() if not (isinstance(v, dict) and v)]
        subs = [(k, v) for k, v in table.items() if isinstance(v, dict) and v]
        if path and mode < 0.08 and style > 0.2:
            # the whole table inline, from its parent (only for leaf-most tables written last)
            pass
        if path:
            lines.append(f"[{rng.choice(['', ' '])}{dotted(path)}{rng.choice(['', ' '])}]"
                         + rng.choice(["", "", " # t"]))
        if mode < 0.25 and subs:
            # sub-tables as dotted keys within this table
            for k, v in scalars:
                lines.append(f"{render_key(rng, k)} = {render_value(rng, v)}")
            for k, v in subs:
                for sub_path, sub_v in _flat([k], v):
                    lines.append(f"{dotted(sub_path)}{rng.choice([' = ', '=', ' =  '])}{render_value(rng, sub_v)}")
            return
        if mode < 0.35 and subs:
            for k, v in scalars:
                lines.append(f"{render_key(rng, k)} = {render_value(rng, v)}")
            for k, v in subs:
                lines.append(f"{render_key(rng, k)} = {render_value(rng, v)}")
            return
        order = scalars[:]
        if rng.random() < 0.2:
            rng.shuffle(order)
        for k, v in order:
            lines.append(f"{render_key(rng, k)}{rng.choice(_EQUALS)}{render_value(rng, v)}"
                         + rng.choice(["", "", "", " # note", "  "]))
        for k, v in subs:
            lines.append(rng.choice(["", "", "  "]))
            emit_table(path + [k], v)

    top_scalars = {k: v for k, v in doc.items() if not (isinstance(v, dict) and v)}
    sections = {k: v for k, v in doc.items() if isinstance(v, dict) and v}
    if style < 0.1:
        # everything as dotted keys from the top
        for path, v in _flat([], doc):
            lines.append(f"{dotted(path)} = {render_value(rng, v)}")
    else:
        for k, v in top_scalars.items():
            lines.append(f"{render_key(rng, k)} = {render_value(rng, v)}")
        items = list(sections.items())
        if rng.random() < 0.2:
            rng.shuffle(items)
        for k, v in items:
            r = rng.random()
            if r < 0.08:
                lines.insert(len(top_scalars) + (1 if lines and lines[0].startswith("#") else 0),
                             f"{render_key(rng, k)} = {render_value(rng, v)}")
            else:
                emit_table([k], v)
    nl = "\r\n" if rng.random() < 0.05 else "\n"
    return nl.join(lines) + (nl if rng.random() < 0.9 else "")


# --- text mutations --------------------------------------------------------------------------

_PIECES = [
    b"\\e", b"\\x41", b"\\u0000", b"\\ud800", b"\\U00110000", b"\\", b"\\\n", b"\n", b"\r\n", b"\r", b",", b"{",
    b"}", b"[", b"]", b"[[", b"]]", b"=", b".", b'"', b"'", b'"""', b"'''", b"#", b" ", b"\t", b"07:32",
    b"07:32:00", b"1979-05-27 07:32", b"1979-05-27T07:32", b"9223372036854775808", b"-9223372036854775809",
    b"1e400", b"-0.0", b"nan", b"inf", b"0x1F", b"1_0", b"_", b"__", b"0_", b"01", b"+", b"e", b"E5",
    b"\xef\xbb\xbf", b"\x00", b"\x7f", b"\x1b", b"\x0c", b"\x0b", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
    b"\xc0\x80", b"\xe2\x80\xa8", b"\xc2\x85", b"\xef\xbf\xbf", b"a.b.c", b"[" * 33, b"[" * 31, b"x." * 32,
    b"x." * 31, b"\"a\".\"b\"", b"{a=1}", b"{ a = 1, }", b"{\n}", b"[[a]]", b"[a]", b"a = []", b"true", b"TRUE",
    b"0.", b".5", b"5.", b"1e", b"-", b"0b2", b"0o8", b"0xG", b"\"\\u00e9\"", b"\xc3\xa9", b"\xf0\x9d\x84\x9e",
]


def _vectors() -> list[bytes]:
    return [p.read_bytes() for p in sorted(VECTORS.glob("*/*.toml"))]


VECTOR_BYTES = _vectors()
VALID_VECTOR_BYTES = [p.read_bytes() for p in sorted((VECTORS / "valid").glob("*.toml"))]


def deep(rng: random.Random) -> bytes:
    """Nesting around the depth cap (32): arrays, inline tables, dotted keys, headers, arrays of tables."""
    n = rng.choice([30, 31, 32, 33, 34])
    kind = rng.randrange(6)
    if kind == 0:
        return f"x = {'[' * n}1{']' * n}\n".encode()
    if kind == 1:
        return f"x = {'[' * n}{']' * n}\n".encode()
    if kind == 2:
        return ("x = " + "{a = " * n + "1" + "}" * n + "\n").encode()
    if kind == 3:
        return (".".join(["a"] * n) + " = 1\n").encode()
    if kind == 4:
        return ("[" + ".".join(["a"] * (n - 1)) + "]\nb = 1\n").encode()
    return ("[[" + ".".join(["a"] * (n // 2)) + "]]\n[" + ".".join(["a"] * (n // 2)) + "."
            + ".".join(["b"] * (n - n // 2 - 1)) + "]\nc = 1\n").encode()


def mutate_text(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        at, roll = rng.randint(0, len(b)), rng.random()
        if roll < 0.5:
            b[at:at] = rng.choice(_PIECES)
        elif roll < 0.65:
            del b[at: at + rng.randint(1, 4)]
        elif roll < 0.75:
            b[at:at] = bytes([rng.randrange(256)])
        elif roll < 0.8 and b:
            b[min(at, len(b) - 1)] = rng.randrange(128)
        elif roll < 0.85:
            b = bytearray(b"\xef\xbb\xbf") + b
        elif roll < 0.9:
            # duplicate a line
            lines = bytes(b).split(b"\n")
            i = rng.randrange(len(lines))
            lines.insert(rng.randrange(len(lines) + 1), lines[i])
            b = bytearray(b"\n".join(lines))
        elif roll < 0.95:
            # cut at a line: a truncated write
            b = b[:at]
        else:
            b[at:at] = b"\n" + deep(rng)
    return bytes(b)


def generate(rng: random.Random, single: bool = False) -> bytes:
    """One config; `single` keeps it to at most one value mutation (judges stop at different stages, so
    configs with several faults in different stages are named differently by design, see run's report)."""
    roll = rng.random()
    if roll < 0.08:
        return mutate_text(rng, rng.choice(VALID_VECTOR_BYTES if single else VECTOR_BYTES))
    if roll < 0.1:
        return deep(rng) if rng.random() < 0.5 else rng.choice(VECTOR_BYTES)
    doc = valid_config(rng, single)
    mutated = rng.random() >= 0.3
    if mutated:
        for _ in range(1 if single else rng.choice([1, 1, 1, 2, 3])):
            mutate_value(rng, doc, single)
    try:
        text = render_doc(rng, doc)
    except UnicodeEncodeError:
        text = ""
    data = text.encode("utf-8", "surrogatepass")
    # A text mutation can add a second fault to a config that already has one (or to one whose
    # value a mutation left valid): `single` never stacks it on a generated config.
    if rng.random() < 0.2 and not single:
        data = mutate_text(rng, data)
    return data


def generate_chunk(seed: int, chunk: int, size: int = CHUNK, single: bool = False) -> list[bytes]:
    rng = random.Random(seed * 1_000_003 + chunk)
    return [generate(rng, single) for _ in range(size)]


# --- the judges ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    ok: bool
    syntax: bool
    keys: tuple[str, ...]
    error: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "syntax": self.syntax, "keys": list(self.keys), "error": self.error}


class Judges:
    """The three judges: the Python ones in-process, the Go one as a long-running process."""

    def __init__(self) -> None:
        sys.path.insert(0, str(ROOT))
        sys.path.insert(0, str(ROOT / "services" / "orchestrator"))
        from orchestrator import config as orchestrator_config
        from traderadmin.config import FILE, MAX_BYTES, SYNTAX, ConfigInvalid, load_schema
        from traderadmin.config.validate import check_bytes

        self._orch = orchestrator_config
        self._toolkit_schema = load_schema(SCHEMA_PATH)
        self._check_bytes, self._invalid = check_bytes, ConfigInvalid
        self._no_key, self._max_bytes = {SYNTAX, FILE}, MAX_BYTES
        self._go = GoJudge()

    def close(self) -> None:
        self._go.close()

    def toolkit(self, data: bytes) -> Verdict:
        if len(data) > self._max_bytes:  # what access.read_config refuses before check_bytes
            return Verdict(False, True, (), "too large")
        try:
            self._check_bytes(data, self._toolkit_schema)
        except self._invalid as e:
            keys = sorted({i.key for i in e.issues if i.key not in self._no_key})
            syntax = any(i.key in self._no_key for i in e.issues)
            return Verdict(False, syntax and not keys, tuple(keys), str(e)[:2000])
        except Exception as e:  # a crash is a verdict of its own
            return Verdict(False, False, ("<crash>",), f"{type(e).__name__}: {e}"[:2000])
        return Verdict(True, False, ())

    def orchestrator(self, data: bytes) -> Verdict:
        try:
            self._orch.load(data)
        except self._orch.ConfigError as e:
            return Verdict(False, e.syntax, tuple(sorted(set(e.keys))), str(e)[:2000])
        except Exception as e:
            return Verdict(False, False, ("<crash>",), f"{type(e).__name__}: {e}"[:2000])
        return Verdict(True, False, ())

    def judge_all(self, docs: list[bytes]) -> list[tuple[Verdict, Verdict, Verdict]]:
        go = self._go.judge_many(docs)
        return [(self.toolkit(d), self.orchestrator(d), g) for d, g in zip(docs, go)]


def build_go_judge(dest: Path | None = None) -> Path:
    dest = dest or Path(os.environ.get("TMPDIR", "/tmp")) / f"configcontract-judge-{os.getuid()}"
    result = subprocess.run(["go", "build", "-o", str(dest), "./cmd/judge"], cwd=GO_MODULE,
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"building the Go judge failed:\n{result.stdout}{result.stderr}")
    return dest


_GO_BINARY: Path | None = None


class GoJudge:
    def __init__(self, binary: Path | None = None) -> None:
        global _GO_BINARY
        if binary is None:
            if _GO_BINARY is None:
                _GO_BINARY = build_go_judge()
            binary = _GO_BINARY
        self._proc = subprocess.Popen([str(binary), str(SCHEMA_PATH)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, bufsize=1 << 16)

    def judge_many(self, docs: list[bytes]) -> list[Verdict]:
        def write() -> None:
            try:
                for d in docs:
                    self._proc.stdin.write(struct.pack(">I", len(d)) + d)
                self._proc.stdin.flush()
            except BrokenPipeError:
                pass

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        out = []
        for _ in docs:
            line = self._proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the Go judge died: {self._proc.stderr.read().decode(errors='replace')[-2000:]}")
            v = json.loads(line)
            out.append(Verdict(v["ok"], v["syntax"], tuple(v["keys"] or ()), v.get("error", "")[:2000]))
        writer.join()
        return out

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.stdin.close()
            self._proc.wait(timeout=10)


def setting_keys(keys: tuple[str, ...]) -> frozenset[str]:
    """Keys as settings: an array item's index dropped (the Go judge names `scanner.universe.0`, the Python
    judges `scanner.universe`; the contract's tests accept a key or one below it)."""
    return frozenset(".".join(p for p in k.split(".") if not p.isdigit()) for k in keys)


def agree(a: Verdict, b: Verdict) -> bool:
    if a.ok != b.ok:
        return False
    if a.ok:
        return True
    if a.syntax != b.syntax:
        return False
    return a.syntax or setting_keys(a.keys) == setting_keys(b.keys)


PAIRS = list(combinations(range(3), 2))


def differ(verdicts: tuple[Verdict, Verdict, Verdict]) -> list[tuple[int, int]]:
    return [(i, j) for i, j in PAIRS if not agree(verdicts[i], verdicts[j])]


# --- the run ---------------------------------------------------------------------------------


def _worker(args: tuple[int, list[int], float, bool, bool]) -> dict[str, Any]:
    seed, chunks, deadline, keep, single = args
    judges = Judges()
    done, counts, found, stats = 0, {f"{JUDGES[i]}/{JUDGES[j]}": 0 for i, j in PAIRS}, [], {"accepted": 0,
                                                                                              "syntax": 0, "keyed": 0}
    try:
        for chunk in chunks:
            if time.time() > deadline:
                break
            docs = generate_chunk(seed, chunk, single=single)
            for n, (data, v) in enumerate(zip(docs, judges.judge_all(docs))):
                done += 1
                g = v[2]
                stats["accepted" if g.ok else "syntax" if g.syntax else "keyed"] += 1
                pairs = differ(v)
                for i, j in pairs:
                    counts[f"{JUDGES[i]}/{JUDGES[j]}"] += 1
                if pairs and keep:
                    found.append({"index": chunk * CHUNK + n, "data": data.hex(),
                                  "pairs": [f"{JUDGES[i]}/{JUDGES[j]}" for i, j in pairs],
                                  "verdicts": {JUDGES[k]: v[k].as_json() for k in range(3)}})
    finally:
        judges.close()
    return {"done": done, "counts": counts, "found": found, "stats": stats}


def run(count: int, seed: int, seconds: float | None, workers: int, keep: bool = True,
        single: bool = False, start: int = 0) -> dict[str, Any]:
    chunks = list(range(start // CHUNK, math.ceil((start + count) / CHUNK)))
    deadline = time.time() + seconds if seconds else float("inf")
    if _GO_BINARY is None:
        globals()["_GO_BINARY"] = build_go_judge()
    start = time.perf_counter()
    # Interleave chunks so a --seconds budget cuts all workers alike; small batches of chunks per task.
    batches = [chunks[i: i + 4] for i in range(0, len(chunks), 4)]
    tasks = [(seed, b, deadline, keep, single) for b in batches]
    results: list[dict[str, Any]] = []
    if workers <= 1:
        results = [_worker_many(tasks)]
    else:
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        per = [tasks[w::workers] for w in range(workers)]
        with ctx.Pool(workers) as pool:
            results = pool.map(_worker_many, per)
    elapsed = time.perf_counter() - start
    total = {"done": 0, "counts": {f"{JUDGES[i]}/{JUDGES[j]}": 0 for i, j in PAIRS}, "found": [],
             "stats": {"accepted": 0, "syntax": 0, "keyed": 0}, "seconds": elapsed}
    for r in results:
        total["done"] += r["done"]
        total["found"] += r["found"]
        for k in total["counts"]:
            total["counts"][k] += r["counts"][k]
        for k in total["stats"]:
            total["stats"][k] += r["stats"][k]
    total["found"].sort(key=lambda f: f["index"])
    return total


def _worker_many(tasks: list[tuple[int, list[int], float, bool, bool]]) -> dict[str, Any]:
    if not tasks:
        return {"done": 0, "counts": {f"{JUDGES[i]}/{JUDGES[j]}": 0 for i, j in PAIRS}, "found": [],
                "stats": {"accepted": 0, "syntax": 0, "keyed": 0}}
    seed, _, deadline, keep, single = tasks[0]
    chunks = [c for t in tasks for c in t[1]]
    return _worker((seed, chunks, deadline, keep, single))


def write_disagreements(found: list[dict[str, Any]], out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for f in found:
        stem = f"{f['pairs'][0].replace('/', '-')}-{f['index']:08d}"
        (out / f"{stem}.toml").write_bytes(bytes.fromhex(f["data"]))
        (out / f"{stem}.json").write_text(json.dumps({k: v for k, v in f.items() if k != "data"}, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", type=int, default=0,
                    help="first config index (rounded down to its chunk of %d): replays a disagreement's "
                         "index from bench/out without the configs before it" % CHUNK)
    ap.add_argument("--seconds", type=float, default=None, help="stop after this long, whatever --count says")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--single-fault", action="store_true",
                    help="at most one value mutation per config (the CI form): key sets must then match exactly")
    a = ap.parse_args(argv)
    r = run(a.count, a.seed, a.seconds, a.workers, single=a.single_fault, start=a.start)
    write_disagreements(r["found"], a.out)
    s = r["stats"]
    print(f"configs      {r['done']:>12,}   (go: {s['accepted']:,} accepted, {s['syntax']:,} syntax, "
          f"{s['keyed']:,} keyed refusals)")
    print(f"time         {r['seconds']:>12.1f} s   workers {a.workers}   seed {a.seed}")
    print(f"configs/s    {r['done'] / r['seconds']:>12,.0f}")
    print(f"{'pair':<24}{'disagreements':>14}")
    for k, v in r["counts"].items():
        print(f"{k:<24}{v:>14,}")
    print(f"files with a disagreement: {len(r['found'])} -> {a.out}")
    return 1 if r["found"] else 0


if __name__ == "__main__":
    sys.exit(main())
