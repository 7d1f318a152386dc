"""The package's own pieces: the bounded read, hashing, and the stages of CONTRACT.md."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

import configcontract
from configcontract import MAX_BYTES, FileRefused, Refused

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((ROOT / "config" / "schema.json").read_text(encoding="utf-8"))
DEFAULTS = (ROOT / "tests" / "vectors" / "valid" / "defaults.toml").read_bytes()


def test_read_file_reads_a_regular_file_and_a_link_to_one(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(DEFAULTS)
    link = tmp_path / "link.toml"
    link.symlink_to(path)
    assert configcontract.read_file(path) == configcontract.read_file(link) == DEFAULTS


def test_read_file_refuses_what_is_no_regular_file_and_never_blocks(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(FileRefused) as caught:
        configcontract.read_file(fifo)
    assert caught.value.kind == "a named pipe (FIFO)" and caught.value.mode is not None
    with pytest.raises(FileRefused, match="a directory"):
        configcontract.read_file(tmp_path)


def test_read_file_refuses_more_than_the_cap(tmp_path: Path) -> None:
    at, over = tmp_path / "at.toml", tmp_path / "over.toml"
    at.write_bytes(b"#" * MAX_BYTES)
    over.write_bytes(b"#" * (MAX_BYTES + 1))
    assert len(configcontract.read_file(at)) == MAX_BYTES
    with pytest.raises(FileRefused) as caught:
        configcontract.read_file(over)
    assert caught.value.size == MAX_BYTES + 1 and caught.value.kind is None


def test_sha256_is_the_hash_of_the_bytes() -> None:
    assert configcontract.sha256(DEFAULTS) == hashlib.sha256(DEFAULTS).hexdigest()


def _refused(data: bytes) -> Refused:
    with pytest.raises(Refused) as caught:
        configcontract.load(data, SCHEMA)
    return caught.value


def _with(old: bytes, new: bytes) -> bytes:
    assert DEFAULTS.count(old) == 1, old
    return DEFAULTS.replace(old, new)


def test_stage_1_names_no_key_and_says_which_rule() -> None:
    assert [(i.key, i.rule) for i in _refused(b"\xef\xbb\xbfa = 1\n").issues] == [(None, "bom")]
    assert [(i.key, i.rule) for i in _refused(b"a = \xff\n").issues] == [(None, "utf8")]
    assert [(i.key, i.rule) for i in _refused(b"a = 1e400\n").issues] == [(None, "float-range")]
    assert [(i.key, i.rule) for i in _refused(b"a = [" + b"[" * 40 + b"]" * 41 + b"\n").issues] == [(None, "depth")]
    error = _refused(b"a = 1\na = 2\n")
    assert error.syntax and error.keys == [] and error.issues[0].rule == "toml" and error.issues[0].line == 2


def test_stage_2_stops_before_the_schema() -> None:
    data = _with(b"port = 7497", b'port = "x"').replace(b'host = "', b'host = "\\u0000', 1)
    error = _refused(data)
    assert not error.syntax and error.keys == ["ibkr.host"] and error.issues[0].rule == "control"


def test_stage_3_names_every_fault_once_and_keeps_the_error() -> None:
    error = _refused(_with(b"port = 7497", b"port = 7497.0") + b"\n[extra]\n")
    assert error.keys == ["extra", "ibkr.port"]
    assert {i.rule for i in error.issues} == {"additionalProperties", "type"}
    assert all(i.error is not None for i in error.issues)


def test_a_valid_config_loads_and_judges_clean() -> None:
    doc = configcontract.load(DEFAULTS, SCHEMA)
    assert configcontract.judge(doc, SCHEMA) == []
