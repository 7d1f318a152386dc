"""Config files on disk: only regular files are read, never more than MAX_BYTES, and every
refusal of the operating system becomes a ConfigError that names the file, says what the
error means and how to fix it.

`--path` may name anything. Opening a FIFO blocks until someone writes into it and a
device may never end, so the kind of file is checked before it is opened; the open
itself never blocks (O_NONBLOCK) and refuses a link (O_NOFOLLOW, on the already
resolved path) in case the name was swapped in between, and what was opened is
checked again.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import configcontract

from traderadmin.atomicfile import real_path

from .errors import ConfigAccessError, ConfigError, ConfigNotFound, NotAConfigFile

MAX_BYTES = configcontract.MAX_BYTES
"""The largest config file (1 MiB; a full config is about 7 KiB): the contract's cap, every
judge's, so the toolkit never writes a file the services would refuse."""

# The contract's read (non-blocking, bounded), on the already resolved path: a link swapped in is refused.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFLNK: "a symbolic link",
}

# Errors that say the path itself is wrong (exit 2), rather than that the system refuses (exit 1).
_WRONG_PATH = {
    errno.EISDIR: "is a folder, not a config file",
    errno.ENOTDIR: "has a part that is a file where a folder should be",
    errno.ELOOP: "is a loop of symbolic links (or was swapped for a link while being read)",
    errno.ENAMETOOLONG: "is too long a path",
    errno.EEXIST: "is a file where a folder should be",
}
_PATH_FIX = "pass the path of a regular TOML file, such as config/config.toml"
_INIT_FIX = "create it with `invoke config.init`, or pass the path of an existing config"


def reason(error: OSError) -> str:
    """What the error means, in the system's words, with its errno name: "Permission denied (EACCES)"."""
    if error.errno is None:
        return str(error)
    return f"{os.strerror(error.errno)} ({errno.errorcode.get(error.errno, error.errno)})"


def fix(error: OSError, path: Path, doing: str) -> str:
    """What a person does about `error`, met while trying to `doing` ("read", "write") `path`."""
    folder = path.parent
    if error.errno in (errno.EACCES, errno.EPERM):
        return (f"let this user {doing} it: check the owner and mode of {path} and of its folder "
                f"(`ls -ld {folder} {path}`), or run as their owner")
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"free space on the file system that holds {folder} (`df -h {folder}`), then run the command again"
    if error.errno == errno.EROFS:
        return (f"{folder} is on a read-only file system: remount it read-write, or keep the config "
                "somewhere writable (traderadmin.config_path in invoke.yaml)")
    return f"check the disk and file system that hold {folder} (`dmesg` shows I/O errors), then run the command again"


def explain(error: OSError, path: Path, doing: str) -> ConfigError:
    """The ConfigError for `error`, met while trying to `doing` ("read", "write") `path`."""
    if error.errno == errno.ENOENT:
        return ConfigNotFound(path, "does not exist", _INIT_FIX)
    if error.errno in _WRONG_PATH:
        return NotAConfigFile(path, _WRONG_PATH[error.errno], _PATH_FIX)
    return ConfigAccessError(f"cannot {doing} {path}: {reason(error)}; nothing was written. "
                             f"Fix: {fix(error, path, doing)}", path, error.errno)


def _too_large(path: Path, size: int) -> NotAConfigFile:
    return NotAConfigFile(path, f"is {size} bytes, more than the {MAX_BYTES} a config may have",
                          "a config is a few KiB: remove what does not belong in it (the services refuse larger "
                          "files); to replace it, move it away and run `invoke config.restore`")


def _refused(path: Path, refused: configcontract.FileRefused) -> NotAConfigFile:
    """The contract's refusal of the file, in the toolkit's words."""
    if refused.mode is not None:
        kind = _KINDS.get(stat.S_IFMT(refused.mode), "not a regular file")
        return NotAConfigFile(path, f"is {kind}, not a config file", _PATH_FIX)
    return _too_large(path, refused.size if refused.size is not None else MAX_BYTES + 1)


def _require_config_file(path: Path, st: os.stat_result) -> None:
    try:
        configcontract.require_regular(st)
    except configcontract.FileRefused as e:
        raise _refused(path, e) from e


def _stat(path: Path) -> os.stat_result:
    try:
        return os.stat(path)
    except OSError as e:
        raise explain(e, path, "read") from e


def existing(path: Path) -> bool:
    """Whether a config file is at `path` (through links); anything else there is refused."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    except OSError as e:
        raise explain(e, path, "read") from e
    _require_config_file(path, st)
    return True


def read_config(path: Path) -> bytes:
    """The bytes of the config file at `path` (through links); anything but a regular file is refused unopened."""
    _require_config_file(path, _stat(path))
    try:
        return configcontract.read_file(real_path(path), _NOFOLLOW)
    except configcontract.FileRefused as e:  # swapped, or grown, after it was checked
        raise _refused(path, e) from e
    except OSError as e:
        raise explain(e, path, "read") from e


def read_existing(path: Path) -> bytes | None:
    """The config file's bytes; None when there is none yet."""
    try:
        return read_config(path)
    except ConfigNotFound:
        return None


def make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise explain(e, folder, "create") from e


def require_folder(path: Path) -> None:
    """Refuse to go on when the folder of `path` does not exist: only `invoke config.init` creates it."""
    folder = path.parent
    try:
        if stat.S_ISDIR(os.stat(folder).st_mode):
            return
    except FileNotFoundError as e:
        raise ConfigNotFound(path, f"does not exist, nor does its folder {folder}", _INIT_FIX) from e
    except OSError as e:
        raise explain(e, folder, "read") from e
    raise NotAConfigFile(path, f"cannot be a config: {folder} is not a folder", _PATH_FIX)
