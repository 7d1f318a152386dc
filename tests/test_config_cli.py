"""The config tasks as a user runs them: exit codes, messages, and files on disk."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def invoke(cfg: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "INVOKE_TRADERADMIN_CONFIG_PATH": str(cfg), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "invoke", "-r", str(ROOT), *args],
                          capture_output=True, text=True, env=env, timeout=60)


@pytest.fixture
def cfg(tmp_path) -> Path:
    path = tmp_path / "config.toml"
    r = invoke(path, "config.init")
    assert r.returncode == 0, r.stderr
    return path


def test_set_keeps_comments_and_backs_up_exact_bytes(cfg):
    before = cfg.read_bytes()
    r = invoke(cfg, "config.set", "trading.max_positions=6")
    assert r.returncode == 0, r.stderr
    assert "trading.max_positions: 5 → 6" in r.stdout
    after = cfg.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before.decode().splitlines(), after) if a != b]
    assert changed == [("max_positions = 5", "max_positions = 6")], "exactly one line may change"
    assert len(after) == len(before.decode().splitlines())
    assert (cfg.parent / "config.toml.bak").read_bytes() == before


@pytest.mark.parametrize("assignment,key", [
    ("trading.max_positions=0", "trading.max_positions"),
    ("trading.max_positons=6", "trading.max_positons"),
    ("trading.mode=LIVE", "trading.mode"),
    ("ibkr.api_token=abc", "ibkr.api_token"),
])
def test_invalid_set_exits_nonzero_names_key_and_leaves_file_identical(cfg, assignment, key):
    before = cfg.read_bytes()
    r = invoke(cfg, "config.set", assignment)
    assert r.returncode == 2
    assert key in r.stderr and "nothing was written" in r.stderr
    assert cfg.read_bytes() == before


def test_validate_json_for_scripts(cfg, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(cfg.read_text().replace("workers = 4", "workers = 0"))
    r = invoke(cfg, "config.validate", "--path", str(bad), "--json")
    assert r.returncode == 2
    out = json.loads(r.stdout)
    assert out["ok"] is False and out["issues"][0]["key"] == "scanner.workers"
    r = invoke(cfg, "config.validate", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["ok"] is True


def test_get_diff_backups_restore_round_trip(cfg):
    assert invoke(cfg, "config.get", "trading.max_positions").stdout.strip() == "5"
    invoke(cfg, "config.set", "trading.max_positions=9")
    assert "+max_positions = 9" in invoke(cfg, "config.diff").stdout
    backups = json.loads(invoke(cfg, "config.backups", "--json").stdout)
    assert len(backups) == 1
    r = invoke(cfg, "config.restore", "--backup", backups[0]["id"])
    assert r.returncode == 0, r.stderr
    assert invoke(cfg, "config.get", "trading.max_positions").stdout.strip() == "5"


def test_init_does_not_overwrite_without_force(cfg):
    invoke(cfg, "config.set", "trading.max_positions=9")
    r = invoke(cfg, "config.init")
    assert r.returncode == 1 and "--force" in r.stderr
    assert "max_positions = 9" in cfg.read_text()


# --- issue 12: the config commands as a new user tries them ----------------------------------------

import re  # noqa: E402
import tomllib  # noqa: E402


def _values(cfg: Path) -> dict:
    return tomllib.loads(cfg.read_text())


def test_several_assignments_are_separate_words(cfg):
    r = invoke(cfg, "config.set", "trading.max_positions=6", "scanner.workers=8", "ibkr.host=example.org")
    assert r.returncode == 0, r.stderr
    v = _values(cfg)
    assert (v["trading"]["max_positions"], v["scanner"]["workers"], v["ibkr"]["host"]) == (6, 8, "example.org")
    assert len(json.loads(invoke(cfg, "config.backups", "--json").stdout)) == 1, "one save for all of them"


def test_one_quoted_word_with_several_assignments_still_works(cfg):
    r = invoke(cfg, "config.set", "trading.max_positions=6 scanner.workers=8")
    assert r.returncode == 0, r.stderr
    assert (_values(cfg)["trading"]["max_positions"], _values(cfg)["scanner"]["workers"]) == (6, 8)


def test_words_after_a_double_dash_are_assignments_too(cfg):
    r = invoke(cfg, "config.set", "--", "trading.max_positions=6", "scanner.workers=8")
    assert r.returncode == 0, r.stderr
    assert _values(cfg)["scanner"]["workers"] == 8


@pytest.mark.parametrize("word", ['scanner.universe=["SPY","QQQ"]', 'scanner.universe=["SPY", "QQQ"]',
                                  "scanner.universe=['SPY', 'QQQ']", "scanner.universe=SPY,QQQ"])
def test_list_values_as_typed(cfg, word):
    r = invoke(cfg, "config.set", word)
    assert r.returncode == 0, r.stderr
    assert _values(cfg)["scanner"]["universe"] == ["SPY", "QQQ"]


@pytest.mark.parametrize("typed,suggestion", [("scanner.universe=[SPY]", r"such as (\[.*?\])"),
                                              ("scanner.universe=[SPY", r"e\.g\. .* or scanner\.universe=(\[.*?\])")])
def test_the_list_an_error_suggests_is_accepted_verbatim(cfg, typed, suggestion):
    r = invoke(cfg, "config.set", typed)
    assert r.returncode == 2
    suggested = re.search(suggestion, r.stderr).group(1)
    r = invoke(cfg, "config.set", f"scanner.universe={suggested}")
    assert r.returncode == 0, r.stderr
    assert _values(cfg)["scanner"]["universe"] == json.loads(suggested)


def test_set_without_an_assignment_is_a_usage_error(cfg):
    before = cfg.read_bytes()
    r = invoke(cfg, "config.set")
    assert r.returncode == 2 and "KEY=VALUE" in r.stderr and "Traceback" not in r.stderr
    assert cfg.read_bytes() == before


def test_show_prints_toml_values_not_python_reprs(cfg):
    invoke(cfg, "config.set", 'scanner.universe=["SPY", "QQQ"]')
    out = invoke(cfg, "config.show").stdout
    assert '"localhost"' in out and "'localhost'" not in out
    assert re.search(r"\bfalse\b", out) and "False" not in out and "True" not in out
    assert '["SPY", "QQQ"]' in out


def test_show_piped_is_not_forced_to_a_fixed_width(cfg):
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env["INVOKE_TRADERADMIN_CONFIG_PATH"] = str(cfg)
    r = subprocess.run([sys.executable, "-m", "invoke", "-r", str(ROOT), "config.show"], capture_output=True,
                       text=True, env=env, timeout=60)
    widths = {len(line.rstrip()) for line in r.stdout.splitlines() if line.startswith("│")}
    assert len(widths) == 1, "one table, every row as wide"
    assert widths.pop() > 160, "the longest description is not folded to fit 160 columns"
    assert all("…" not in line for line in r.stdout.splitlines())
    narrow = invoke(cfg, "config.show")  # COLUMNS=200 is respected
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 200


def _ids(cfg: Path) -> list[str]:
    return [e["id"] for e in json.loads(invoke(cfg, "config.backups", "--json").stdout)]


def test_backup_ids_are_stable_as_later_saves_come(cfg):
    invoke(cfg, "config.set", "trading.max_positions=6")
    first = _ids(cfg)
    invoke(cfg, "config.set", "trading.max_positions=7")
    invoke(cfg, "config.set", "trading.max_positions=8")
    later = _ids(cfg)
    assert later[-len(first):] == first, "an entry keeps its id"
    assert len(set(later)) == len(later) == 3
    listing = invoke(cfg, "config.backups").stdout
    assert all(i in listing for i in later)
    # The id restores the same file however many saves came after.
    r = invoke(cfg, "config.restore", "--backup", first[0])
    assert r.returncode == 0, r.stderr
    assert _values(cfg)["trading"]["max_positions"] == 5
    assert first[0] in r.stdout


def test_a_unique_start_of_an_id_is_enough_and_an_ambiguous_one_is_refused(cfg):
    invoke(cfg, "config.set", "trading.max_positions=6")
    invoke(cfg, "config.set", "trading.max_positions=7")
    newest, oldest = _ids(cfg)
    common = os.path.commonprefix([newest, oldest])
    # config.diff reads a backup the way restore finds it, and writes nothing.
    r = invoke(cfg, "config.diff", "--against", common)
    assert r.returncode == 2 and "give more of the id" in r.stderr and newest in r.stderr and oldest in r.stderr
    unique = newest[:len(common) + 1]
    assert invoke(cfg, "config.diff", "--against", unique).returncode == 0
    r = invoke(cfg, "config.restore", "--backup", unique)
    assert r.returncode == 0, r.stderr
    assert _values(cfg)["trading"]["max_positions"] == 6
    assert invoke(cfg, "config.diff", "--against", newest[:7]).returncode == 2, "shorter than a date: refused"


def test_a_position_number_is_refused_and_the_error_names_the_id_it_means_now(cfg):
    invoke(cfg, "config.set", "trading.max_positions=6")
    invoke(cfg, "config.set", "trading.max_positions=7")
    before = cfg.read_bytes()
    ids = _ids(cfg)
    for number in ("1", "2"):
        r = invoke(cfg, "config.restore", "--backup", number)
        assert r.returncode == 2 and ids[int(number) - 1] in r.stderr and "shift" in r.stderr, r.stderr
        assert cfg.read_bytes() == before
    r = invoke(cfg, "config.diff", "--against", "1")
    assert r.returncode == 2 and ids[0] in r.stderr


@pytest.mark.parametrize("typo,meant", [("trading.max_positons", "trading.max_positions"),
                                         ("scaner.workers", "scanner.workers"), ("ibrk", "ibkr"),
                                         ("ibkr.reconect.enabled", "ibkr.reconnect.enabled")])
def test_get_suggests_the_key_meant(cfg, typo, meant):
    r = invoke(cfg, "config.get", typo)
    assert r.returncode == 2 and f"did you mean `{meant}`" in r.stderr, r.stderr
    assert "nothing was written" not in r.stderr, "a read writes nothing in the first place"


@pytest.mark.parametrize("argv", [["config.diff"], ["config.show"], ["config.show", "--json"],
                                  ["config.backups"], ["--list"], ["--help", "deploy"]])
def test_output_into_a_closed_pipe_ends_without_a_traceback(cfg, argv):
    assert invoke(cfg, "config.set", "trading.max_positions=6").returncode == 0
    with cfg.open("a") as f:  # a diff far larger than a pipe's 64 KiB buffer: the writer meets the closed end
        f.writelines(f"# note {n:06d} {'x' * 40}\n" for n in range(5000))
    env = {**os.environ, "INVOKE_TRADERADMIN_CONFIG_PATH": str(cfg), "COLUMNS": "200"}
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "-r", str(ROOT), *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    proc.stdout.readline()
    proc.stdout.close()  # what `| head -1` does after its line
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()
    assert proc.returncode in (0, 141), proc.returncode
    if argv == ["config.diff"]:
        assert proc.returncode == 141, "the diff outgrew the pipe: it must have met the closed end, as SIGPIPE would"
