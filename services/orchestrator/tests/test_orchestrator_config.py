"""Config judging: the shared vectors, and the wording of errors."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator import config

REPO = Path(__file__).resolve().parents[3]
VECTORS = REPO / "tests" / "vectors"
VALID = sorted((VECTORS / "valid").glob("*.toml"))
INVALID = sorted((VECTORS / "invalid").glob("*.toml"))


def _expected(path: Path) -> str:
    # A vector may start with a byte-order mark: it is what that vector tests.
    first = path.read_bytes().decode("utf-8", "replace").removeprefix("\ufeff").splitlines()[0]
    prefix = "# expect: "
    assert first.startswith(prefix), f"{path.name}: first line must be '# expect: <dotted.key>' or '# expect: <syntax>'"
    return first[len(prefix):].strip()


def _defaults_toml() -> bytes:
    vector = VECTORS / "valid" / "defaults.toml"
    return vector.read_bytes()


def test_vectors_exist() -> None:
    assert VALID and INVALID, f"no shared test vectors under {VECTORS}"


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_vector_loads(path: Path) -> None:
    loaded = config.load(path.read_bytes())
    # The effective config is reported as JSON; it must survive a round trip unchanged.
    assert json.loads(json.dumps(loaded)) == loaded


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_vector_is_rejected_naming_its_key(path: Path) -> None:
    expected = _expected(path)
    with pytest.raises(config.ConfigError) as caught:
        config.load(path.read_bytes())
    error = caught.value
    if expected == "<syntax>":
        assert error.syntax, f"expected a TOML syntax error, got: {error}"
        assert str(error).startswith("invalid TOML"), str(error)
    else:
        assert not error.syntax, f"expected an error naming {expected}, got a syntax error: {error}"
        assert expected in error.keys, f"expected an error naming {expected}, got: {error}"


def _with(text: bytes, old: str, new: str) -> bytes:
    s = text.decode()
    assert old in s, old
    return s.replace(old, new, 1).encode()


def test_range_error_names_the_key_in_the_contract_wording() -> None:
    bad = _with(_defaults_toml(), "max_positions = 5", "max_positions = 0")
    with pytest.raises(config.ConfigError) as caught:
        config.load(bad)
    assert str(caught.value) == "trading.max_positions: 0 is less than the minimum of 1"


def test_unknown_key_names_the_key_itself_with_a_suggestion() -> None:
    bad = _with(_defaults_toml(), "max_positions = 5", "max_positions = 5\nmax_positons = 6")
    with pytest.raises(config.ConfigError) as caught:
        config.load(bad)
    assert str(caught.value) == 'trading.max_positons: unknown key (did you mean "max_positions"?)'


def test_missing_key_names_the_key_itself() -> None:
    bad = _with(_defaults_toml(), "max_positions = 5\n", "")
    with pytest.raises(config.ConfigError) as caught:
        config.load(bad)
    assert str(caught.value) == "trading.max_positions: required key is missing"


def test_x_error_template_is_filled_with_the_value() -> None:
    bad = _with(_defaults_toml(), "port = 7497", "port = 7496")
    with pytest.raises(config.ConfigError) as caught:
        config.load(bad)
    message = str(caught.value)
    assert message.startswith("ibkr.port: port 7496 is a LIVE port"), message
    assert "trading.mode is PAPER" in message


def test_float_for_integer_is_refused_even_when_whole() -> None:
    bad = _with(_defaults_toml(), "max_positions = 5", "max_positions = 5.0")
    with pytest.raises(config.ConfigError) as caught:
        config.load(bad)
    assert str(caught.value) == "trading.max_positions: 5.0 is not of type 'integer'"


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_numbers_are_refused(value: str) -> None:
    # nan passes every minimum/maximum check, so it needs its own rule.
    bad = _with(_defaults_toml(), "connect_timeout_s = 10.0", f"connect_timeout_s = {value}")
    with pytest.raises(config.ConfigError) as caught:
        config.load(bad)
    assert caught.value.keys == ["ibkr.connect_timeout_s"]


def test_a_date_is_refused_naming_the_key() -> None:
    bad = _with(_defaults_toml(), 'market_open = "09:30"', "market_open = 09:30:00")
    with pytest.raises(config.ConfigError) as caught:
        config.load(bad)
    assert caught.value.keys == ["schedule.market_open"]


def test_array_item_error_is_reported_on_the_array() -> None:
    bad = _with(_defaults_toml(), '"SPY",', '"spy",')
    with pytest.raises(config.ConfigError) as caught:
        config.load(bad)
    assert caught.value.keys == ["scanner.universe"]
    assert "item 1" in str(caught.value)


def test_syntax_error_says_where() -> None:
    with pytest.raises(config.ConfigError) as caught:
        config.load(b"[trading]\nmax_positions = \n")
    assert caught.value.syntax
    assert str(caught.value).startswith("invalid TOML at line 2, column 17:"), str(caught.value)


def test_not_utf8_is_a_syntax_error() -> None:
    with pytest.raises(config.ConfigError) as caught:
        config.load(b"\xff\xfe")
    assert caught.value.syntax


def test_identity_is_the_sha256_of_the_bytes() -> None:
    assert config.sha256(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

