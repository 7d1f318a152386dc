"""The shared test vectors, judged by the toolkit (the services' tests read the same files)."""
from pathlib import Path

import pytest

from traderadmin.config import SYNTAX, ConfigInvalid, check_text, load_schema, validate_file

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
SCHEMA = load_schema(ROOT / "config" / "schema.json")


def _expected_key(path: Path) -> str:
    first = path.read_bytes().decode("utf-8", "replace").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: <key>'"
    return first.removeprefix("# expect: ").strip()


@pytest.mark.parametrize("path", sorted((VECTORS / "valid").glob("*.toml")), ids=lambda p: p.stem)
def test_valid_vector_loads(path):
    check_text(path.read_text(), SCHEMA)


@pytest.mark.parametrize("path", sorted((VECTORS / "invalid").glob("*.toml")), ids=lambda p: p.stem)
def test_invalid_vector_is_rejected_naming_its_key(path):
    with pytest.raises(ConfigInvalid) as e:
        validate_file(path, SCHEMA)
    keys = [i.key for i in e.value.issues]
    assert _expected_key(path) in keys, f"expected an issue for {_expected_key(path)}, got {keys}"


def test_vector_sets_are_not_empty():
    assert len(list((VECTORS / "valid").glob("*.toml"))) >= 5
    assert len(list((VECTORS / "invalid").glob("*.toml"))) >= 20


def test_syntax_errors_carry_line_and_column():
    text = (VECTORS / "invalid" / "syntax_unclosed_string.toml").read_text()
    with pytest.raises(ConfigInvalid) as e:
        check_text(text, SCHEMA)
    (issue,) = e.value.issues
    assert issue.key == SYNTAX
    assert "line 3, column" in issue.message
