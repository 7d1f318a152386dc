"""Every way a config command can fail: a clear message, a precise exit code, nothing written.

Each class of failure found by the adversarial tester of issue 10 is checked in the
library and through the real command line (`python -m invoke config.*` in a
subprocess). Failures the machine must produce (a full disk, a refused permission)
are injected into the os calls (`install_fault`), so the tests run alike as root or
not and need no special file system.

Exit codes: 2 when the input is wrong (content, change, path), 1 when the system is
in the way (permissions, space, another writer's lock); never 0, never a traceback.
"""
from __future__ import annotations

import errno
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import tomllib
from pathlib import Path
from typing import Any, Callable

import pytest
import tomlkit
from filelock import FileLock

from traderadmin.atomicfile import atomic_write, temp_prefix
from traderadmin.config import (
    FILE,
    MAX_BYTES,
    SYNTAX,
    BackupError,
    ConfigAccessError,
    ConfigFiles,
    ConfigInvalid,
    ConfigLocked,
    ConfigNotFound,
    NotAConfigFile,
    init_config,
    list_backups,
    load_schema,
    read,
    restore,
    set_values,
    split_assignments,
    unified_diff,
    validate_file,
)
from traderadmin.config import edit, operations, store

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "config" / "schema.json"
SCHEMA = load_schema(SCHEMA_PATH)


# --- helpers ---------------------------------------------------------------------------------

def install_fault(spec: str, patch: Callable[[Any, str, Any], None] = setattr) -> None:
    """Make one os call fail as the system would: "<call>:<ERRNO or KILL>:<part of the path>".

    <call> is open, write, fsync or stat; write and fsync match the path their file
    was opened with. KILL ends the process with SIGKILL instead, like a crash.
    """
    call, name, needle = spec.split(":", 2)
    real = {n: getattr(os, n) for n in ("open", "write", "fsync", "stat")}
    opened: dict[int, str] = {}

    def refuse(path: str) -> None:
        if name == "KILL":
            os.kill(os.getpid(), signal.SIGKILL)
        code = getattr(errno, name)
        raise OSError(code, os.strerror(code), path)

    def open_(path, flags, *args, **kwargs):
        if call == "open" and needle in os.fspath(path):
            refuse(os.fspath(path))
        fd = real["open"](path, flags, *args, **kwargs)
        opened[fd] = os.fspath(path)
        return fd

    def on_fd(which: str):
        def wrapped(fd, *args):
            if call == which and needle in opened.get(fd, ""):
                refuse(opened[fd])
            return real[which](fd, *args)
        return wrapped

    def stat_(path, *args, **kwargs):
        if call == "stat" and isinstance(path, (str, os.PathLike)) and needle in os.fspath(path):
            refuse(os.fspath(path))
        return real["stat"](path, *args, **kwargs)

    for n, f in (("open", open_), ("write", on_fd("write")), ("fsync", on_fd("fsync")), ("stat", stat_)):
        patch(os, n, f)


# The real command line, optionally with a fault installed and a shorter lock timeout.
_RUN = (
    "import os, sys\n"
    "sys.path.insert(0, os.environ['TESTS_DIR'])\n"
    "if os.environ.get('FAULT'):\n"
    "    from test_config_failures import install_fault\n"
    "    install_fault(os.environ['FAULT'])\n"
    "if os.environ.get('LOCK_TIMEOUT'):\n"
    "    from traderadmin.config import store\n"
    "    store.LOCK_TIMEOUT = float(os.environ['LOCK_TIMEOUT'])\n"
    "from invoke.main import program\n"
    "program.run(['invoke', *sys.argv[1:]])\n"
)


def cli(cfg: Path, *args: str, fault: str = "", lock_timeout: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "INVOKE_TRADERADMIN_CONFIG_PATH": str(cfg), "COLUMNS": "200",
           "TESTS_DIR": str(ROOT / "tests"), "FAULT": fault, "LOCK_TIMEOUT": lock_timeout}
    return subprocess.run([sys.executable, "-c", _RUN, "-r", str(ROOT), *args], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=60)


def snapshot(folder: Path) -> dict[str, Any]:
    """Everything under `folder`: files by their bytes, links by their target, the rest by their kind.

    Built from os.scandir and open(), which do not go through the os functions a fault replaces.
    """
    out: dict[str, Any] = {}
    with os.scandir(folder) as entries:
        for e in entries:
            if e.is_symlink():
                out[e.name] = ("link", os.readlink(e.path))
            elif e.is_dir():
                out[e.name] = ("folder",)
                out.update({f"{e.name}/{k}": v for k, v in snapshot(Path(e.path)).items()})
            elif e.is_file():
                with open(e.path, "rb") as f:
                    out[e.name] = f.read()
            else:
                out[e.name] = ("kind", stat.S_IFMT(e.stat(follow_symlinks=False).st_mode))
    return out


def refused(r: subprocess.CompletedProcess, code: int, *words: str) -> None:
    output = r.stdout + r.stderr
    assert r.returncode == code, f"exit {r.returncode}, expected {code}\n{output}"
    assert "Traceback" not in output, output
    for w in words:
        assert w in r.stderr, f"{w!r} not in the message:\n{r.stderr}"


def temps_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*.tmp")]


@pytest.fixture
def files(tmp_path) -> ConfigFiles:
    f = ConfigFiles(tmp_path / "config" / "config.toml", SCHEMA_PATH)
    init_config(f)
    return f


@pytest.fixture
def cfg(files) -> Path:
    """A project config with a history of one save, as the command line sees it."""
    set_values(files, ["trading.max_positions=6"])
    return files.config


# --- 1. a linked config is written through its link ------------------------------------------

@pytest.mark.parametrize("how", ["absolute", "relative", "chain"])
def test_a_linked_config_is_written_through_the_link_and_stays_a_link(tmp_path, how):
    target = ConfigFiles(tmp_path / "elsewhere" / "real.toml", SCHEMA_PATH)
    init_config(target)
    original = target.config.read_bytes()
    link = tmp_path / "project" / "config.toml"
    link.parent.mkdir()
    if how == "absolute":
        link.symlink_to(target.config)
    elif how == "relative":
        link.symlink_to(Path("..") / "elsewhere" / "real.toml")
    else:
        hop = tmp_path / "hop.toml"
        hop.symlink_to(target.config)
        link.symlink_to(hop)
    pointed = os.readlink(link)

    set_values(ConfigFiles(link, SCHEMA_PATH), ["trading.max_positions=6"])

    assert link.is_symlink() and os.readlink(link) == pointed, "the link must stay the same link"
    assert b"max_positions = 6" in target.config.read_bytes(), "the target gets the new content"
    assert (link.parent / "config.toml.bak").read_bytes() == original, "the backup holds the target's content"
    assert list_backups(link)[0].read_bytes() == original
    assert temps_under(tmp_path) == []


def test_atomic_write_through_a_link_keeps_the_link_and_the_targets_mode(tmp_path):
    target = tmp_path / "real" / "file"
    target.parent.mkdir()
    target.write_bytes(b"old")
    target.chmod(0o640)
    link = tmp_path / "link"
    link.symlink_to(target)
    atomic_write(link, b"new")
    assert link.is_symlink() and target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert temps_under(tmp_path) == []


def test_cli_edits_and_restores_a_linked_config_through_its_link(tmp_path):
    target = ConfigFiles(tmp_path / "elsewhere" / "real.toml", SCHEMA_PATH)
    init_config(target)
    original = target.config.read_bytes()
    link = tmp_path / "project" / "config.toml"
    link.parent.mkdir()
    link.symlink_to(target.config)

    r = cli(link, "config.set", "trading.max_positions=6")
    assert r.returncode == 0, r.stderr
    assert link.is_symlink() and b"max_positions = 6" in target.config.read_bytes()
    assert cli(link, "config.validate").returncode == 0
    r = cli(link, "config.restore")
    assert r.returncode == 0, r.stderr
    assert link.is_symlink() and target.config.read_bytes() == original


# --- 2. each config has its own history --------------------------------------------------------

NEIGHBOURS = ["config.toml", "config-prod.toml", "config-2.toml", "other.toml"]


def _neighbours(folder: Path) -> dict[str, ConfigFiles]:
    out = {}
    for n, name in enumerate(NEIGHBOURS, 1):
        f = ConfigFiles(folder / name, SCHEMA_PATH)
        init_config(f)
        set_values(f, [f"scanner.workers={n + 4}"])  # the default is 4
        set_values(f, [f"scanner.workers={n + 14}"])
        out[name] = f
    return out


def _workers(data: bytes) -> int:
    return tomllib.loads(data.decode())["scanner"]["workers"]


def test_configs_in_one_folder_each_list_and_restore_only_their_own_backups(tmp_path):
    configs = _neighbours(tmp_path)
    for n, (name, f) in enumerate(configs.items(), 1):
        entries = list_backups(f.config)
        assert len(entries) == 2, f"{name} sees {[e.name for e in entries]}"
        assert [_workers(e.read_bytes()) for e in entries] == [n + 4, 4], f"{name} lists another config's backup"
        assert _workers(store.bak_path(f.config).read_bytes()) == n + 4
    restore(configs["config.toml"])
    assert _workers(configs["config.toml"].config.read_bytes()) == 5
    assert _workers(configs["config-prod.toml"].config.read_bytes()) == 16, "a neighbour must stay untouched"


def test_cli_backups_and_restore_see_only_the_configs_own_history(tmp_path):
    configs = _neighbours(tmp_path)
    for name, f in configs.items():
        r = cli(f.config, "config.backups", "--json")
        assert r.returncode == 0, r.stderr
        listed = json.loads(r.stdout)
        assert len(listed) == 2 and all(store.is_backup_of(e["name"], f.config) for e in listed), (name, listed)
    second = json.loads(cli(configs["config-prod.toml"].config, "config.backups", "--json").stdout)[1]["id"]
    r = cli(configs["config-prod.toml"].config, "config.restore", "--backup", second)
    assert r.returncode == 0, r.stderr
    assert _workers(configs["config-prod.toml"].config.read_bytes()) == 4
    assert _workers(configs["config.toml"].config.read_bytes()) == 15


# --- 3. temp files of a killed writer ----------------------------------------------------------

def _leftovers(f: ConfigFiles) -> tuple[list[Path], list[Path]]:
    """Temp files a killed writer of `f` would leave, and things that belong to others."""
    entry = list_backups(f.config)[0]
    hist = entry.parent
    ours = [hist / f"{temp_prefix(entry)}0123456789ab.tmp",
            f.config.parent / f"{temp_prefix(store.bak_path(f.config))}0123456789ab.tmp",
            f.config.parent / f"{temp_prefix(f.config)}deadbeef.tmp"]
    theirs = [hist / f".config-prod-20990101T000000000000Z-0123abcd.toml.0123456789ab.tmp",
              hist / "notes.txt", f.config.parent / ".config.toml.new.0123456789ab.tmp"]
    for p in ours + theirs:
        p.write_bytes(b"half-writ")
    return ours, theirs


def test_leftover_temps_are_not_backups_and_the_next_save_removes_only_the_configs_own(cfg, files):
    listed = list_backups(cfg)
    ours, theirs = _leftovers(files)
    assert list_backups(cfg) == listed, "a temp file is no backup"
    set_values(files, ["trading.max_positions=7"])
    assert [p for p in ours if p.exists()] == []
    assert all(p.exists() for p in theirs), "nothing else is touched"


def test_a_writer_killed_while_backing_up_leaves_the_config_and_history_intact(cfg, files):
    before, listed = cfg.read_bytes(), list_backups(cfg)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from test_config_failures import install_fault; "
            "install_fault('fsync:KILL:/backups/'); from pathlib import Path; "
            "from traderadmin.config import ConfigFiles, set_values; "
            "set_values(ConfigFiles(Path(sys.argv[2]), Path(sys.argv[3])), ['trading.max_positions=9'])")
    r = subprocess.run([sys.executable, "-c", code, str(ROOT / "tests"), str(cfg), str(SCHEMA_PATH)],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert temps_under(cfg.parent), "the kill should have left temp files"
    assert cfg.read_bytes() == before and list_backups(cfg) == listed

    r = cli(cfg, "config.backups", "--json")
    assert r.returncode == 0 and ".tmp" not in r.stdout
    assert cli(cfg, "config.set", "trading.max_positions=8").returncode == 0
    assert temps_under(cfg.parent) == [], "the next save cleans up"


# --- 4. messages instead of tracebacks; nothing written -----------------------------------------

def _unchanged(folder: Path, action: Callable[[], Any], error: type[Exception]) -> Exception:
    before = snapshot(folder)
    with pytest.raises(error) as caught:
        action()
    assert snapshot(folder) == before, "nothing may be written, created or removed"
    return caught.value


def test_invalid_utf8_in_the_file_names_line_column_and_byte(files):
    files.config.write_bytes(files.config.read_bytes().replace(b'host = "localhost"', b'host = "local\xffhost"'))
    e = _unchanged(files.config.parent, lambda: validate_file(files.config, SCHEMA), ConfigInvalid)
    (issue,) = e.issues
    assert issue.key == SYNTAX and "0xff" in issue.message and "line 12" in issue.message
    _unchanged(files.config.parent, lambda: set_values(files, ["trading.max_positions=7"]), ConfigInvalid)


def test_invalid_utf8_in_a_value_names_the_key(files):
    e = _unchanged(files.config.parent, lambda: set_values(files, ["ibkr.host=ab\udcffc"]), ConfigInvalid)
    assert [i.key for i in e.issues] == ["ibkr.host"] and "\\xff" in str(e)


@pytest.mark.parametrize("text,key", [
    ('ibkr.host="abc', "ibkr.host"),
    ("trading.max_positions=6 ibkr.host='a b", "ibkr.host"),
    ("scanner.universe=SPY\\", "scanner.universe"),
])
def test_an_unbalanced_quote_names_the_key(text, key):
    with pytest.raises(ConfigInvalid) as e:
        split_assignments(text)
    assert [i.key for i in e.value.issues] == [key]


def _fault(monkeypatch, spec: str) -> None:
    install_fault(spec, monkeypatch.setattr)


@pytest.mark.parametrize("spec,doing", [
    ("open:EACCES:/config.toml", "read"),        # the file cannot be read
    ("stat:EACCES:/config.toml", "read"),        # a folder on the way cannot be searched
    ("open:EACCES:.config.toml.lock", "write"),  # the folder refuses the lock file
    ("open:EACCES:.tmp", "write"),               # the folder refuses the new file
    ("open:EROFS:.tmp", "write"),
    ("write:ENOSPC:.tmp", "write"),              # a full disk on the main write
    ("fsync:ENOSPC:.tmp", "write"),
    ("fsync:EIO:.tmp", "write"),
])
def test_the_systems_refusal_names_the_path_the_meaning_and_the_fix(files, monkeypatch, spec, doing):
    code = spec.split(":")[1]
    _fault(monkeypatch, spec)
    e = _unchanged(files.config.parent, lambda: set_values(files, ["trading.max_positions=7"]), ConfigAccessError)
    assert e.errno == getattr(errno, code) and not isinstance(e, (ConfigInvalid, BackupError))
    text = str(e)
    assert str(files.config.parent) in text and files.config.name in text
    assert f"({code})" in text and "Fix:" in text and f"cannot {doing}" in text


@pytest.mark.parametrize("needle", ["/backups/", "config.toml.bak"])
@pytest.mark.parametrize("code", ["ENOSPC", "EACCES"])
def test_a_backup_that_cannot_be_written_aborts_the_save_and_leaves_no_trace(files, monkeypatch, needle, code):
    set_values(files, ["trading.max_positions=6"])  # so that a .bak and a history exist
    _fault(monkeypatch, f"open:{code}:{needle}" if code == "EACCES" else f"write:{code}:{needle}")
    e = _unchanged(files.config.parent, lambda: set_values(files, ["trading.max_positions=7"]), BackupError)
    assert "aborted" in str(e) and f"({code})" in str(e) and "Fix:" in str(e)


def test_a_first_backup_that_fails_does_not_leave_a_backups_folder(files, monkeypatch):
    _fault(monkeypatch, "write:ENOSPC:/backups/")
    _unchanged(files.config.parent, lambda: set_values(files, ["trading.max_positions=7"]), BackupError)
    assert not store.history_dir(files.config).exists()


def test_a_read_only_config_is_not_replaced(files, monkeypatch):
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode))
    e = _unchanged(files.config.parent, lambda: set_values(files, ["trading.max_positions=7"]), ConfigAccessError)
    assert "(EACCES)" in str(e)


def test_a_lock_held_too_long_is_reported_not_waited_out(files, monkeypatch):
    monkeypatch.setattr(store, "LOCK_TIMEOUT", 0.2)
    other = FileLock(str(store.lock_path(files.config)))  # another writer, as filelock sees it
    with other:
        e = _unchanged(files.config.parent, lambda: set_values(files, ["trading.max_positions=7"]), ConfigLocked)
    assert str(store.lock_path(files.config)) in str(e) and "run the command again" in str(e)
    set_values(files, ["trading.max_positions=7"])


def _make(kind: str, where: Path) -> Path:
    """A path of the given kind that is no config file."""
    if kind == "folder":
        where.mkdir()
    elif kind == "fifo":
        os.mkfifo(where)
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(where))
        server.close()
    elif kind == "device":
        return Path(os.devnull)
    elif kind == "link loop":
        where.symlink_to(where.with_name("b"))
        where.with_name("b").symlink_to(where)
    elif kind == "too large":
        where.write_bytes(b"# " + b"x" * MAX_BYTES + b"\n")
    elif kind == "under a file":
        where.write_bytes(b"")
        return where / "config.toml"
    elif kind == "missing":
        return where.parent / "nowhere" / "config.toml"
    return where


PATH_KINDS = ["folder", "fifo", "socket", "device", "link loop", "too large", "under a file", "missing"]


@pytest.mark.parametrize("kind", PATH_KINDS)
def test_anything_but_a_regular_file_is_refused_before_it_is_opened(tmp_path, kind):
    path = _make(kind, tmp_path / "a")
    result: dict[str, BaseException] = {}

    def check() -> None:
        try:
            validate_file(path, SCHEMA)
        except BaseException as e:  # the assertion below says what it was
            result["error"] = e

    worker = threading.Thread(target=check, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), f"reading a {kind} blocked"
    error = result.get("error")
    assert isinstance(error, NotAConfigFile), repr(error)
    (issue,) = error.issues
    assert issue.key == FILE and error.source == str(path) and issue.fix


@pytest.mark.parametrize("kind", PATH_KINDS)
def test_set_on_anything_but_a_regular_file_writes_nothing(tmp_path, kind):
    path = _make(kind, tmp_path / "a")
    if kind == "device":
        path = tmp_path / "dev.toml"
        path.symlink_to(os.devnull)
    _unchanged(tmp_path, lambda: set_values(ConfigFiles(path, SCHEMA_PATH), ["trading.max_positions=7"]),
               NotAConfigFile)


@pytest.mark.parametrize("kind", [k for k in PATH_KINDS if k != "missing"])
def test_init_refuses_to_replace_anything_but_a_regular_file(tmp_path, kind):
    path = _make(kind, tmp_path / "a")
    if kind == "device":
        path = tmp_path / "dev.toml"
        path.symlink_to(os.devnull)
    _unchanged(tmp_path, lambda: init_config(ConfigFiles(path, SCHEMA_PATH), force=True), NotAConfigFile)


def test_a_byte_order_mark_is_refused_on_read(files):
    files.config.write_bytes(b"\xef\xbb\xbf" + files.config.read_bytes())
    e = _unchanged(files.config.parent, lambda: validate_file(files.config, SCHEMA), ConfigInvalid)
    assert e.issues[0].key == SYNTAX and "byte-order mark" in e.issues[0].message


@pytest.mark.parametrize("levels", [40, 2000])
def test_nesting_past_the_depth_cap_is_a_syntax_error_not_a_recursion_error(files, levels):
    deep = files.config.read_text().replace('universe = ["SPY"', f'universe = [{"[" * levels}{"]" * levels}, "SPY"')
    files.config.write_text(deep)
    e = _unchanged(files.config.parent, lambda: validate_file(files.config, SCHEMA), ConfigInvalid)
    assert e.issues[0].key == SYNTAX and "levels deep" in e.issues[0].message


@pytest.mark.parametrize("size,key", [(MAX_BYTES - 1000, FILE), (MAX_BYTES + 1, "ibkr.host")])
def test_a_config_larger_than_the_cap_is_never_written(files, size, key):
    e = _unchanged(files.config.parent, lambda: set_values(files, [f"ibkr.host={'h' * size}"]), ConfigInvalid)
    assert e.issues[0].key == key and str(MAX_BYTES) in e.issues[0].message


# --- 5. nothing is created where no config is ----------------------------------------------------

@pytest.mark.parametrize("action", [
    lambda f: set_values(f, ["trading.max_positions=6"]),
    lambda f: restore(f),
    lambda f: read(f),
    lambda f: unified_diff(f),
])
def test_a_missing_config_is_reported_and_nothing_is_created(tmp_path, action):
    f = ConfigFiles(tmp_path / "nope" / "deeper" / "config.toml", SCHEMA_PATH)
    before = snapshot(tmp_path)
    with pytest.raises(Exception) as e:
        action(f)
    assert snapshot(tmp_path) == before
    assert isinstance(e.value, ConfigNotFound) or "no backups" in str(e.value)


def test_set_on_a_missing_config_says_to_run_config_init(tmp_path):
    f = ConfigFiles(tmp_path / "config" / "config.toml", SCHEMA_PATH)
    e = _unchanged(tmp_path, lambda: set_values(f, ["trading.max_positions=6"]), ConfigNotFound)
    assert "invoke config.init" in e.issues[0].fix
    init_config(f)  # the one operation that may create the folder
    assert f.config.is_file()


def test_refused_input_leaves_no_lock_file_behind(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text((ROOT / "tests" / "vectors" / "valid" / "defaults.toml").read_text())
    f = ConfigFiles(path, SCHEMA_PATH)
    _unchanged(tmp_path, lambda: set_values(f, ["trading.max_positions=0"]), ConfigInvalid)
    _unchanged(tmp_path, lambda: set_values(f, ["trading.mode=LIVE", "ibkr.port=7496"]), ConfigInvalid)


# --- 6. strict TOML 1.0 on every read and every write --------------------------------------------

def _defaults_text() -> str:
    return (ROOT / "tests" / "vectors" / "valid" / "defaults.toml").read_text()


def _with_inline_reconnect(text: str, inline: str) -> str:
    """[ibkr.reconnect] written as an inline table inside [ibkr]."""
    before, after = text.split("[ibkr.reconnect]")
    return f"{before}reconnect = {inline}\n{after[after.index(chr(10) + '['):]}"


def _inline() -> str:
    table = tomlkit.inline_table()
    table.update(SCHEMA.defaults()["ibkr"]["reconnect"])
    return table.as_string()


TOML_1_1 = {
    "escape \\e": lambda t: t.replace('host = "localhost"', 'host = "local\\ehost"'),
    "escape \\xHH": lambda t: t.replace('host = "localhost"', 'host = "\\x6cocalhost"'),
    "newline in an inline table": lambda t: _with_inline_reconnect(t, _inline().replace(", ", ",\n    ", 1)),
    "trailing comma in an inline table": lambda t: _with_inline_reconnect(t, _inline().replace("}", ", }")),
    "time without seconds": lambda t: t.replace('market_close = "16:00"', "market_close = 16:00"),
    "date-time without seconds": lambda t: t.replace('market_close = "16:00"', "market_close = 2024-05-27T16:00"),
}


def test_the_toml_1_0_twins_of_the_1_1_cases_are_valid(tmp_path):
    """The cases below differ from a valid config only in their TOML 1.1 syntax."""
    path = tmp_path / "config.toml"
    path.write_text(_with_inline_reconnect(_defaults_text(), _inline()))
    validate_file(path, SCHEMA)


@pytest.mark.parametrize("case", TOML_1_1)
def test_a_toml_1_1_file_is_refused_by_validate_and_set(tmp_path, case):
    text = TOML_1_1[case](_defaults_text())
    tomlkit.parse(text)  # the editor's parser takes it: only the strict judge stands in the way
    path = tmp_path / "config.toml"
    path.write_text(text)
    f = ConfigFiles(path, SCHEMA_PATH)
    e = _unchanged(tmp_path, lambda: validate_file(path, SCHEMA), ConfigInvalid)
    assert e.issues[0].key == SYNTAX and "TOML 1.1" in e.issues[0].message and "TOML 1.0" in e.issues[0].fix
    _unchanged(tmp_path, lambda: set_values(f, ["trading.max_positions=7"]), ConfigInvalid)


@pytest.mark.parametrize("pair", [
    'ibkr.host="local\\ehost"',
    'ibkr.host="\\x6cocalhost"',
    'scanner.universe=["S\\x50Y"]',
    "scanner.universe=[{a = 1,}]",
    'ibkr.host="a"\nlogging.level="DEBUG"',
])
def test_a_toml_1_1_value_is_refused_by_set(files, pair):
    e = _unchanged(files.config.parent, lambda: set_values(files, [pair]), ConfigInvalid)
    assert e.issues[0].key == pair.split("=")[0]


@pytest.mark.parametrize("pair,key", [
    ("ibkr.client_id=9223372036854775808", SYNTAX),    # beyond 64 bits: the services cannot read it
    ("ibkr.connect_timeout_s=1e400", "ibkr.connect_timeout_s"),
    ('scanner.universe=["QQQ\n"]', "scanner.universe"),  # `$` of a pattern is the very end
    ('ibkr.host="local\u0000host"', "ibkr.host"),      # no setting takes a control character
])
def test_values_the_services_would_refuse_are_refused_by_set(files, pair, key):
    e = _unchanged(files.config.parent, lambda: set_values(files, [pair]), ConfigInvalid)
    assert key in [i.key for i in e.issues] and pair.split("=")[0] in str(e), e


def test_bytes_the_editor_writes_are_judged_by_toml_1_0_before_they_are_saved(files, monkeypatch):
    def writes_toml_1_1(doc, assignments):
        doc["ibkr"]["host"] = tomlkit.string("local\\ehost", escape=False)

    monkeypatch.setattr(operations, "apply", writes_toml_1_1)
    e = _unchanged(files.config.parent, lambda: set_values(files, ["ibkr.host=x"]), ConfigInvalid)
    assert e.issues[0].key == SYNTAX and "line" in e.issues[0].message


def test_an_edit_that_reads_back_differently_is_refused(files, monkeypatch):
    real_apply = edit.apply

    def also_changes_another_key(doc, assignments):
        real_apply(doc, assignments)
        doc["trading"]["max_positions"] = 9

    monkeypatch.setattr(operations, "apply", also_changes_another_key)
    e = _unchanged(files.config.parent, lambda: set_values(files, ["scanner.workers=8"]), ConfigInvalid)
    assert [i.key for i in e.issues] == ["trading.max_positions"]


def test_a_value_where_a_table_belongs_is_refused_not_crashed_on(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("ibkr = 1\n" + _defaults_text().replace("[ibkr]", "[ibkr_]").replace("[ibkr.", "[ibkr_."))
    f = ConfigFiles(path, SCHEMA_PATH)
    e = _unchanged(tmp_path, lambda: set_values(f, ["ibkr.host=x"]), ConfigInvalid)
    assert e.issues[0].key == "ibkr"


# --- 7. the command line: exit code, message, nothing written, no traceback ------------------------

def _bad_file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "bad.toml"
    path.write_bytes(data)
    return path


CLI_CASES = {
    # name: (the command given the config path and tmp_path, fault, exit code, words of the message;
    # "{tmp}" stands for tmp_path)
    "value not UTF-8": (lambda c, t: ["config.set", "ibkr.host=ab\udcffc"], "", 2, ["ibkr.host", "UTF-8"]),
    "unbalanced quote": (lambda c, t: ["config.set", 'ibkr.host="abc'], "", 2, ["ibkr.host", "closing quotation"]),
    "TOML 1.1 value": (lambda c, t: ["config.set", "ibkr.host='\"local\\ehost\"'"], "", 2, ["ibkr.host", "TOML 1.0"]),
    "out of range": (lambda c, t: ["config.set", "trading.max_positions=0"], "", 2, ["trading.max_positions", "0"]),
    "unknown key for get": (lambda c, t: ["config.get", "trading.nope"], "", 2, ["trading.nope", "config.show"]),
    "unknown backup": (lambda c, t: ["config.restore", "--backup", "nope"], "", 2, ["nope", "config.backups"]),
    "read denied": (lambda c, t: ["config.set", "trading.max_positions=7"], "open:EACCES:/config.toml", 1,
                    ["config.toml", "Permission denied (EACCES)", "Fix:"]),
    "folder denied": (lambda c, t: ["config.validate"], "stat:EACCES:/config.toml", 1,
                      ["config.toml", "Permission denied (EACCES)", "ls -ld"]),
    "write denied": (lambda c, t: ["config.set", "trading.max_positions=7"], "open:EACCES:/.config.toml.", 1,
                     ["config.toml", "(EACCES)", "ls -ld"]),
    "disk full on the main write": (lambda c, t: ["config.set", "trading.max_positions=7"],
                                    "write:ENOSPC:/.config.toml.", 1, ["config.toml", "(ENOSPC)", "df -h"]),
    "disk full on the backup": (lambda c, t: ["config.set", "trading.max_positions=7"], "write:ENOSPC:/backups/", 1,
                                ["could not back up", "(ENOSPC)", "df -h", "untouched"]),
    "disk full on restore": (lambda c, t: ["config.restore"], "fsync:ENOSPC:/.config.toml.", 1, ["(ENOSPC)"]),
    "path is a folder": (lambda c, t: ["config.validate", "--path", str(t)], "", 2, ["{tmp}", "folder"]),
    "path is a FIFO": (lambda c, t: ["config.validate", "--path", str(_make("fifo", t / "fifo"))], "", 2, ["FIFO"]),
    "path is a device": (lambda c, t: ["config.validate", "--path", os.devnull], "", 2, [os.devnull, "device"]),
    "path is a link loop": (lambda c, t: ["config.validate", "--path", str(_make("link loop", t / "a"))], "", 2,
                            ["loop"]),
    "path is missing": (lambda c, t: ["config.validate", "--path", str(t / "none.toml")], "", 2,
                        ["none.toml", "does not exist"]),
    "file too large": (lambda c, t: ["config.validate", "--path", str(_make("too large", t / "big.toml"))], "", 2,
                       ["big.toml", str(MAX_BYTES)]),
    "file with a BOM": (lambda c, t: ["config.validate", "--path", str(_bad_file(t, b"\xef\xbb\xbf" + c.read_bytes()))],
                        "", 2, ["bad.toml", "byte-order mark"]),
    "file not UTF-8": (lambda c, t: ["config.validate", "--path",
                                     str(_bad_file(t, c.read_bytes().replace(b"localhost", b"local\xffhost", 1)))],
                       "", 2, ["bad.toml", "0xff", "line 12"]),
    "TOML 1.1 file": (lambda c, t: ["config.validate", "--path",
                                    str(_bad_file(t, TOML_1_1["escape \\e"](_defaults_text()).encode()))],
                      "", 2, ["bad.toml", "TOML 1.1", "line 12"]),
}


@pytest.mark.parametrize("case", CLI_CASES)
def test_cli_refusals(cfg, tmp_path, case):
    args, fault, code, words = CLI_CASES[case]
    argv = args(cfg, tmp_path)
    before = snapshot(tmp_path)
    r = cli(cfg, *argv, fault=fault)
    refused(r, code, *(w.format(tmp=tmp_path) for w in words))
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("case", ["TOML 1.1 value", "disk full on the main write", "path is a FIFO"])
def test_cli_refusals_for_scripts(cfg, tmp_path, case):
    args, fault, code, _ = CLI_CASES[case]
    argv = [*args(cfg, tmp_path), "--json"]
    r = cli(cfg, *argv, fault=fault)
    assert r.returncode == code and "Traceback" not in r.stderr
    out = json.loads(r.stdout)
    assert out["ok"] is False and out["error"]


@pytest.mark.parametrize("case", TOML_1_1)
def test_cli_set_on_a_toml_1_1_file_exits_2_and_leaves_it_byte_identical(tmp_path, case):
    path = tmp_path / "config.toml"
    path.write_text(TOML_1_1[case](_defaults_text()))
    before = snapshot(tmp_path)
    refused(cli(path, "config.validate"), 2, str(path), "TOML 1.1")
    refused(cli(path, "config.set", "trading.max_positions=7"), 2, str(path), "TOML 1.1", "nothing was written")
    assert snapshot(tmp_path) == before


def test_cli_set_on_a_missing_path_creates_nothing_and_says_to_run_config_init(tmp_path):
    path = tmp_path / "nope" / "deeper" / "config.toml"
    refused(cli(path, "config.set", "trading.max_positions=6"), 2, str(path), "invoke config.init")
    assert list(tmp_path.iterdir()) == []
    assert cli(path, "config.init").returncode == 0 and path.is_file()


def test_cli_lock_timeout_exits_1_naming_the_lock(cfg, tmp_path):
    before = snapshot(tmp_path)
    with FileLock(str(store.lock_path(cfg))):
        r = cli(cfg, "config.set", "trading.max_positions=7", lock_timeout="0.3")
    refused(r, 1, str(store.lock_path(cfg)), "another process")
    assert snapshot(tmp_path) == before


def test_cli_set_on_a_fifo_config_neither_blocks_nor_writes(tmp_path):
    path = _make("fifo", tmp_path / "config.toml")
    refused(cli(path, "config.set", "trading.max_positions=6"), 2, "FIFO")
    assert stat.S_ISFIFO(path.lstat().st_mode) and sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]
