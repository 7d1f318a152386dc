"""Edits keep every comment and byte around them; bad edits change nothing."""
from pathlib import Path

import pytest

from traderadmin.config import ConfigFiles, ConfigInvalid, backups, init_config, restore, set_values, sha256

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def files(tmp_path) -> ConfigFiles:
    f = ConfigFiles(tmp_path / "config.toml", ROOT / "config" / "schema.json")
    init_config(f)
    return f


def test_set_keeps_every_comment_and_changes_one_line(files):
    path = files.config
    path.write_text(path.read_text().replace("max_positions = 5", "max_positions = 5  # my own note"))
    before = path.read_text()
    set_values(files, ["trading.max_positions=6"])
    after = path.read_text()
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert changed == [("max_positions = 5  # my own note", "max_positions = 6  # my own note")]
    assert len(before.splitlines()) == len(after.splitlines())
    assert (path.parent / "config.toml.bak").read_text() == before


@pytest.mark.parametrize("pair,value_key,expected", [
    ("scanner.interval_s=30", ("scanner", "interval_s"), 30.0),
    ("ibkr.read_only=true", ("ibkr", "read_only"), True),
    ("ibkr.host=host.docker.internal", ("ibkr", "host"), "host.docker.internal"),
    ('scanner.universe=SPY,QQQ', ("scanner", "universe"), ["SPY", "QQQ"]),
    ('scanner.universe=["IWM"]', ("scanner", "universe"), ["IWM"]),
    ("strategies.high_base.min_rsi=55", ("strategies", "high_base", "min_rsi"), 55.0),
])
def test_values_are_parsed_by_the_schema_type(files, pair, value_key, expected):
    import tomllib
    set_values(files, [pair])
    node = tomllib.loads(files.config.read_text())
    for k in value_key:
        node = node[k]
    assert node == expected and type(node) is type(expected)


@pytest.mark.parametrize("pairs,key,words", [
    (["trading.max_positions=0"], "trading.max_positions", "minimum"),
    (["trading.max_positions=six"], "trading.max_positions", "whole number"),
    (["trading.max_position=6"], "trading.max_position", "trading.max_positions"),
    (["ibkr.password=hunter2"], "ibkr.password", "Secret"),
    (["ibkr.port=7496"], "ibkr.port", "LIVE port"),
    (["trading.mode=LIVE", "ibkr.port=7496"], "trading.mode", "--confirm-live"),
    (["ibkr=1"], "ibkr", "is a table"),
    (["nonsense"], "nonsense", "KEY=VALUE"),
])
def test_bad_edits_name_the_key_and_write_nothing(files, pairs, key, words):
    before = files.config.read_bytes()
    with pytest.raises(ConfigInvalid) as e:
        set_values(files, pairs)
    assert key in [i.key for i in e.value.issues]
    assert words in str(e.value)
    assert files.config.read_bytes() == before
    assert not (files.config.parent / "config.toml.bak").exists()


def test_live_with_confirmation_is_saved(files):
    set_values(files, ["trading.mode=LIVE", "ibkr.port=7496"], confirm_live=True)
    assert 'mode = "LIVE"' in files.config.read_text()


def test_restore_puts_back_the_exact_bytes_and_is_undoable(files):
    original = files.config.read_bytes()
    set_values(files, ["trading.max_positions=7"])
    edited = files.config.read_bytes()
    result, diff, entry = restore(files)
    assert files.config.read_bytes() == original
    assert [d.key for d in diff] == ["trading.max_positions"]
    result, _, _ = restore(files, backups(files)[0].id)
    assert files.config.read_bytes() == edited
    assert result.new_sha256 == sha256(edited)


def test_init_refuses_to_overwrite(files):
    from traderadmin.config import ConfigError
    with pytest.raises(ConfigError, match="--force"):
        init_config(files)
    init_config(files, force=True)


def test_restore_repairs_a_file_that_no_longer_parses(files):
    good = files.config.read_bytes()
    set_values(files, ["trading.max_positions=7"])
    files.config.write_bytes(files.config.read_bytes() + b"\n[broken\n")
    restore(files, backups(files)[0].id)
    assert files.config.read_bytes() == good


def test_live_without_confirmation_is_reported_with_the_other_issues(files):
    with pytest.raises(ConfigInvalid) as e:
        set_values(files, ["trading.mode=LIVE"])
    keys = {i.key for i in e.value.issues}
    assert keys == {"ibkr.port", "trading.mode"}, "both fixes must be told at once"


def test_an_empty_value_is_judged_by_the_schema(files):
    with pytest.raises(ConfigInvalid) as e:
        set_values(files, ["ibkr.host="])
    assert e.value.issues[0].key == "ibkr.host"


def test_concurrent_edits_are_all_kept(files):
    import threading

    keys = ["scanner.workers=9", "trading.max_positions=9", "scanner.max_results=99", "cache.max_entries=999"]
    threads = [threading.Thread(target=set_values, args=(files, [k])) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    text = files.config.read_text()
    for k in keys:
        name, value = k.split("=")
        assert f"{name.split('.')[-1]} = {value}" in text, f"{k} was lost"


@pytest.mark.parametrize("pairs,key", [
    (["schedule.market_close=09:00"], "schedule.market_close"),
    (["schedule.market_close=09:30"], "schedule.market_close"),
    (["options.min_days_to_expiry=60"], "options.max_days_to_expiry"),
])
def test_keys_that_must_be_ordered_are_checked_together(files, pairs, key):
    before = files.config.read_bytes()
    with pytest.raises(ConfigInvalid) as e:
        set_values(files, pairs)
    (issue,) = e.value.issues
    assert issue.key == key and "lower" in issue.fix
    assert files.config.read_bytes() == before


def test_ordered_keys_moved_together_are_accepted(files):
    set_values(files, ["options.min_days_to_expiry=60", "options.max_days_to_expiry=90"])
