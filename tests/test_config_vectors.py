"""The shared test vectors, judged by all three judges: the toolkit, the orchestrator and the scanner.

Each invalid vector starts with `# expect: <dotted.key>` (or `<syntax>` for a file
refused before any key can be named); every judge must refuse it naming that key.
The services' own tests read the same files; this test runs all three side by side,
so a vector one judge disagrees with shows up here next to the others' verdicts.
"""
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from traderadmin.config import SYNTAX, ConfigInvalid, check_text, load_schema, validate_file

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
SCHEMA = load_schema(ROOT / "config" / "schema.json")
VALID = sorted((VECTORS / "valid").glob("*.toml"))
INVALID = sorted((VECTORS / "invalid").glob("*.toml"))
SCANNER_DIR = ROOT / "services" / "scanner"

sys.path.insert(0, str(ROOT / "services" / "orchestrator"))
from orchestrator import config as orchestrator_config  # noqa: E402


def _expected_key(path: Path) -> str:
    # A vector may start with a byte-order mark: it is what that vector tests.
    first = path.read_bytes().decode("utf-8", "replace").removeprefix("\ufeff").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: <key>'"
    return first.removeprefix("# expect: ").strip()


# --- the toolkit -------------------------------------------------------------------------


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_vector_loads(path):
    check_text(path.read_text(), SCHEMA)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_vector_is_rejected_naming_its_key(path):
    with pytest.raises(ConfigInvalid) as e:
        validate_file(path, SCHEMA)
    keys = [i.key for i in e.value.issues]
    assert _expected_key(path) in keys, f"expected an issue for {_expected_key(path)}, got {keys}"


def test_vector_sets_are_not_empty():
    assert len(VALID) >= 5
    assert len(INVALID) >= 20


def test_syntax_errors_carry_line_and_column():
    text = (VECTORS / "invalid" / "syntax_unclosed_string.toml").read_text()
    with pytest.raises(ConfigInvalid) as e:
        check_text(text, SCHEMA)
    (issue,) = e.value.issues
    assert issue.key == SYNTAX
    assert "line 3, column" in issue.message


# --- the orchestrator --------------------------------------------------------------------


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_orchestrator_loads_the_valid_vector(path):
    orchestrator_config.load(path.read_bytes())


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_orchestrator_rejects_the_invalid_vector_naming_its_key(path):
    expected = _expected_key(path)
    with pytest.raises(orchestrator_config.ConfigError) as e:
        orchestrator_config.load(path.read_bytes())
    if expected == SYNTAX:
        assert e.value.syntax, f"expected a refusal naming no key, got: {e.value}"
    else:
        assert not e.value.syntax and expected in e.value.keys, f"expected an issue for {expected}, got: {e.value}"


# --- the scanner -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def scanner_verdicts() -> dict[str, tuple[str, str]]:
    """The scanner's vector tests, run once: vector file name -> (pass/fail, output)."""
    # Its subtests are named KIND/FILE (configcontract/vectors).
    try:
        result = subprocess.run(
            ["go", "test", "-json", "-run", "^TestSharedVectors$", "."],
            cwd=SCANNER_DIR, capture_output=True, text=True, timeout=600,
        )
    except FileNotFoundError:
        pytest.fail("the scanner's judge needs Go: `go` is not on PATH", pytrace=False)
    verdicts: dict[str, tuple[str, str]] = {}
    output: dict[str, str] = {}
    for line in result.stdout.splitlines():
        event = json.loads(line) if line.startswith("{") else {}
        test, _, key = event.get("Test", "").partition("/")
        if test != "TestSharedVectors" or "/" not in key:
            continue
        if event["Action"] == "output":
            output[key] = output.get(key, "") + event["Output"]
        elif event["Action"] in ("pass", "fail"):
            verdicts[key] = (event["Action"], output.get(key, ""))
    if not verdicts:
        pytest.fail(f"`go test` in {SCANNER_DIR} ran no vector tests:\n{result.stdout[-3000:]}{result.stderr[-3000:]}",
                    pytrace=False)
    return verdicts


@pytest.mark.parametrize("path", VALID + INVALID, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_scanner_judges_the_vector(path, scanner_verdicts):
    verdict, output = scanner_verdicts.get(f"{path.parent.name}/{path.name}", ("missing", "the scanner did not run it"))
    assert verdict == "pass", output


# --- the two services agree beyond the vectors -------------------------------------------

# Pieces a mutation splices in: TOML 1.1 syntax, limits, encodings, structure.
_PIECES = [
    b"\\e", b"\\x41", b"\\u0000", b"\\ud800", b"\\", b"\\\n", b"\n", b"\r\n", b"\r", b",", b"{", b"}", b"[", b"]",
    b"[[", b"=", b".", b'"', b"'", b'"""', b"'''", b"#", b" ", b"\t", b"07:32", b"07:32:00", b"1979-05-27 07:32",
    b"9223372036854775808", b"-9223372036854775809", b"1e400", b"-0.0", b"nan", b"0x1F", b"1_0",
    b"\xef\xbb\xbf", b"\x00", b"\x7f", b"\xc3", b"\xed\xa0\x80", b"\xe2\x80\xa8", b"a.b.c", b"[" * 40, b"x." * 40,
]


def _mutants(count: int, seed: int) -> list[bytes]:
    """Vectors with a few pieces spliced in, bytes dropped or changed: the same list on every run."""
    rng = random.Random(seed)
    seeds = [p.read_bytes() for p in VALID + INVALID]
    out = []
    for _ in range(count):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            at, roll = rng.randint(0, len(data)), rng.random()
            if roll < 0.6:
                data[at:at] = rng.choice(_PIECES)
            elif roll < 0.85:
                del data[at : at + rng.randint(1, 4)]
            else:
                data[at:at] = bytes([rng.randrange(256)])
        out.append(bytes(data))
    return out


def test_the_services_agree_on_mutated_vectors(tmp_path):
    """Both services accept or refuse each file alike, and refuse it in the same class (no key / a key)."""
    cases = tmp_path / "cases"
    cases.mkdir()
    mutants = _mutants(800, seed=20240601)
    for i, data in enumerate(mutants):
        (cases / f"{i:04d}.toml").write_bytes(data)
    out = tmp_path / "verdicts.json"
    result = subprocess.run(
        ["go", "test", "-count=1", "-run", "^TestJudgeFiles$", "."], cwd=SCANNER_DIR, capture_output=True, text=True,
        env={**os.environ, "SCANNER_JUDGE_DIR": str(cases), "SCANNER_JUDGE_OUT": str(out)}, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    scanner = json.loads(out.read_text())
    disagree = []
    for i, data in enumerate(mutants):
        name = f"{i:04d}.toml"
        try:
            orchestrator_config.load(data)
            orchestrator = (True, False, "")
        except orchestrator_config.ConfigError as e:
            orchestrator = (False, e.syntax, str(e))
        go = scanner[name]
        if orchestrator[:2] != (go["accepted"], go["syntax"]):
            disagree.append(f"{name}: orchestrator {orchestrator}, scanner {go} for {data[:300]!r}")
    assert not disagree, f"{len(disagree)} of {len(mutants)} files judged differently:\n" + "\n".join(disagree[:10])
