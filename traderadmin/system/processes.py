"""Background processes with a pid file and a log file each (no systemd here).

A pid file alone is not trusted: the pid must still run the same executable,
or a recycled pid could make a dead component look alive (or get killed).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path


MAX_LOG_BYTES = 20 * 1024 * 1024


def _read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _exe_of(pid: int) -> str | None:
    # cmdline reads empty for a moment while a fresh child is still inside exec().
    for _ in range(50):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        # A zombie has exited; only its parent's wait() is missing.
        if stat.rsplit(")", 1)[-1].split()[0] == "Z":
            return None
        if cmdline:
            return cmdline.split(b"\0", 1)[0].decode(errors="replace")
        time.sleep(0.01)
    return None


def running_pid(pid_file: Path, executable: str) -> int | None:
    """The pid recorded in `pid_file` if that process is alive and runs `executable`."""
    pid = _read_pid(pid_file)
    if pid is None:
        return None
    exe = _exe_of(pid)
    if exe is None or Path(exe).name != Path(executable).name:
        return None
    return pid


def start(argv: tuple[str, ...] | list[str], pid_file: Path, log_file: Path) -> int:
    """Start `argv` detached (own session, survives this process), appending to `log_file`."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    # One previous generation is kept: enough to read why the last run failed.
    if log_file.exists() and log_file.stat().st_size > MAX_LOG_BYTES:
        log_file.replace(log_file.with_name(log_file.name + ".1"))
    with open(log_file, "ab") as out:
        out.write(f"\n=== {time.strftime('%Y-%m-%dT%H:%M:%S')} starting: {' '.join(argv)}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    pid_file.write_text(f"{proc.pid}\n")
    _argv_file(pid_file).write_text(json.dumps(list(argv)))
    return proc.pid


def _argv_file(pid_file: Path) -> Path:
    return pid_file.with_suffix(".argv")


def recorded_argv(pid_file: Path) -> list[str] | None:
    """The command line a component was last started with (to notice a changed one)."""
    try:
        return json.loads(_argv_file(pid_file).read_text())
    except (OSError, ValueError):
        return None


def exited(pid: int) -> bool:
    """True once `pid` is gone (reaping it if it was our child)."""
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return True
    except ChildProcessError:
        pass
    return _exe_of(pid) is None


def stop(pid_file: Path, executable: str, timeout: float = 20.0) -> bool:
    """SIGTERM, then SIGKILL after `timeout`; return True if something was running."""
    pid = running_pid(pid_file, executable)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    # No poll_until: past the deadline this escalates to SIGKILL and keeps waiting rather than failing.
    while not exited(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
        time.sleep(0.1)
    pid_file.unlink(missing_ok=True)
    return True


def resident_memory_kib(pid: int, children: bool = True) -> int:
    """VmRSS of `pid` (plus, with `children`, all its descendants), in KiB."""
    total = 0
    for p in [pid, *(descendants(pid) if children else [])]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[-1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    queue = list(children.get(pid, []))
    while queue:
        p = queue.pop()
        found.append(p)
        queue.extend(children.get(p, []))
    return found
