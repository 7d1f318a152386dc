"""A crash fuzzer against both services running as processes: no file may end or wedge them.

Each service is started once on the default config (the poll off, so the watch
must survive everything), then a bounded, seeded stream of hostile, garbled and
mutated configs is put at its config path: mutations of tests/vectors (truncations,
byte flips, spliced files, inserted control characters), deep nesting, huge
strings, a BOM, and FIFOs, directories, deletions and symlink flips swapped in.
After each one the process must still run and /healthz must answer within 1 s;
about one in five is waited for until the service applied it or reported it
rejected (its hash in /status); every 50 a good config is put in place and must be applied, and after the last one
a good config is applied and reported with no error.

A failure names the service, the seed, the step and the mutation, and keeps the
offending bytes in the test's temp folder as a repro.
"""
from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from traderadmin.config import sha256

from servicehelpers import SERVICES, ServiceProcess, build_scanner, config_bytes, default_config, start_service

SEED = int(os.environ.get("CRASH_FUZZ_SEED", "20261201"))
STEPS = int(os.environ.get("CRASH_FUZZ_STEPS", "300"))  # per service
BUDGET_S = 60.0  # both services together; the stream stops early rather than overrun
NO_POLL = 3600.0
VECTORS = Path(__file__).resolve().parent / "vectors"

pytestmark = pytest.mark.timeout(180)


def _atomic(path: Path, make: Callable[[Path], None]) -> None:
    tmp = path.with_name(".config.toml.fuzz.tmp")
    _clear(tmp)
    if path.is_dir() and not path.is_symlink():
        _clear(path)  # nothing can be renamed over a directory
    make(tmp)
    os.replace(tmp, path)


def _clear(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        for child in path.iterdir():
            _clear(child)
        path.rmdir()
    elif path.is_symlink() or path.exists():
        path.unlink()


def _put_bytes(path: Path, data: bytes, rng: random.Random) -> None:
    regular = path.exists() and not path.is_symlink() and path.is_file()
    if regular and rng.random() < 0.25:  # an in-place rewrite, as some editors do
        with open(path, "r+b") as f:
            f.truncate(0)
            f.write(data)
    else:
        _atomic(path, lambda t: t.write_bytes(data))


@dataclass
class Fuzzer:
    """The seeded stream of things put at one config path."""

    rng: random.Random
    corpus: list[bytes]
    good: bytes

    def _source(self) -> bytearray:
        return bytearray(self.rng.choice(self.corpus))

    def bytes_case(self) -> tuple[str, bytes]:
        rng, data = self.rng, self._source()
        kind = rng.choice(["truncate", "flip", "control", "splice", "deep", "dotted", "inline", "huge-string",
                           "bom", "garbage", "duplicate", "vector"])
        if kind == "truncate" and data:
            data = data[: rng.randrange(len(data))]
        elif kind == "flip":
            for _ in range(rng.randint(1, 8)):
                if data:
                    data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif kind == "control":
            for _ in range(rng.randint(1, 4)):
                data.insert(rng.randrange(len(data) + 1), rng.choice([0, 1, 8, 0x0B, 0x0D, 0x1B, 0x7F]))
        elif kind == "splice":
            other = self._source()
            data = data[: rng.randrange(len(data) + 1)] + other[rng.randrange(len(other) + 1):]
        elif kind == "deep":
            n = rng.choice([31, 32, 33, 100, 5000, 100_000])
            data = bytearray(b"[trading]\nmax_positions = " + b"[" * n + b"]" * n + b"\n")
        elif kind == "dotted":
            n = rng.choice([32, 33, 1000, 200_000])
            data = bytearray(b"a." * n + b"a = 1\n")
        elif kind == "inline":
            n = rng.choice([33, 2000])
            data = bytearray(b"x = " + b"{a = " * n + b"1" + b"}" * n + b"\n")
        elif kind == "huge-string":
            n = rng.choice([10_000, 1_048_000, 1_048_577, 3_000_000])
            data = bytearray(self.good + b'\n[extra]\ns = "' + b"x" * n + b'"\n')
        elif kind == "bom":
            data = bytearray(b"\xef\xbb\xbf" + data)
        elif kind == "garbage":
            data = bytearray(rng.randbytes(rng.choice([1, 64, 4096, 300_000])))
        elif kind == "duplicate":
            data = data + data
        return kind, bytes(data)

    def next(self, path: Path) -> tuple[str, bytes | None]:
        """Put the next case at `path`; its name and the bytes written (None for no bytes)."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.80:
            kind, data = self.bytes_case()
            _put_bytes(path, data, rng)
            return kind, data
        special = rng.choice(["fifo", "directory", "delete", "dev-zero", "dangling", "loop", "link-dir",
                              "link-good", "link-flip"])
        folder = path.parent
        if special == "fifo":
            _atomic(path, os.mkfifo)
        elif special == "directory":
            _clear(path)
            path.mkdir()
        elif special == "delete":
            _clear(path)
        elif special == "dev-zero":
            _atomic(path, lambda t: t.symlink_to("/dev/zero"))
        elif special == "dangling":
            _atomic(path, lambda t: t.symlink_to(folder / "nowhere.toml"))
        elif special == "loop":
            _atomic(path, lambda t: t.symlink_to(path.name))  # config.toml -> config.toml: ELOOP
        elif special == "link-dir":
            _atomic(path, lambda t: t.symlink_to(folder))
        else:  # a ConfigMap-like flip to a target holding a mutated or good config
            kind, data = self.bytes_case() if special == "link-flip" else ("good", self.good)
            target = folder / f"target-{rng.randrange(4)}.toml"
            _atomic(target, lambda t: t.write_bytes(data))
            _atomic(path, lambda t: t.symlink_to(target.name))
            return f"{special}:{kind}", data
        return special, None


@dataclass
class Outcome:
    kind: str
    steps: int = 0
    exits: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    settled: int = 0  # steps where the service was made to judge the bytes before the next one
    seconds: float = 0.0


def _healthz(svc: ServiceProcess) -> str | None:
    """None when /healthz answered 200 within 1 s; else what happened."""
    start = time.monotonic()
    try:
        code, _ = svc.get("/healthz", timeout=1.0)
    except OSError as e:
        return f"no answer within 1 s ({e})"
    took = time.monotonic() - start
    if code != 200 or took > 1.0:
        return f"/healthz {code} after {took:.2f} s"
    return None


def _fuzz(svc: ServiceProcess, path: Path, seed: int, base_doc, deadline: float, repro_dir: Path) -> Outcome:
    rng = random.Random(f"{seed}-{svc.kind}")
    corpus = [p.read_bytes() for p in sorted(VECTORS.rglob("*.toml"))]
    good = config_bytes(base_doc, reload__poll_interval_s=NO_POLL)
    corpus.append(good)
    fuzzer = Fuzzer(rng, corpus, good)
    out = Outcome(svc.kind)
    start = time.monotonic()
    for step in range(1, STEPS + 1):
        if time.monotonic() > deadline:
            break
        name, data = fuzzer.next(path)
        out.steps = step
        time.sleep(rng.choice([0.0, 0.005, 0.02, 0.06]))  # some land inside the debounce, some after it
        where = f"{svc.kind} seed {seed} step {step} ({name})"
        if not svc.alive():
            out.exits.append(f"{where}: exited with {svc.proc.returncode}")
        elif (hang := _healthz(svc)) is not None:
            out.hangs.append(f"{where}: {hang}")
        elif data is not None and len(data) <= 1 << 20 and rng.random() < 0.2:
            # Judged, not only survived: the bytes are applied or reported as rejected.
            sha = sha256(data)
            try:
                svc.wait_for(lambda: sha in (svc.status()["config_sha256"], svc.status()["last_rejected_sha256"]),
                             3.0, f"{sha[:12]}… applied or reported rejected")
                out.settled += 1
            except AssertionError as e:
                out.hangs.append(f"{where}: not judged: {str(e).splitlines()[0]}")
        if out.exits or out.hangs:
            if data is not None:
                (repro_dir / f"{svc.kind}-step{step}.toml").write_bytes(data)
            break
        if step % 50 == 0:  # not wedged: a good config still gets applied by the watch
            checkpoint = config_bytes(base_doc, reload__poll_interval_s=NO_POLL, trading__max_positions=step // 50 + 5)
            _atomic(path, lambda t: t.write_bytes(checkpoint))
            svc.wait_hash(sha256(checkpoint), timeout=5.0)
    out.seconds = time.monotonic() - start
    return out


def test_no_generated_config_crashes_or_wedges_either_service(tmp_path: Path) -> None:
    base_doc = default_config()
    (tmp_path / "bin").mkdir()
    binary = build_scanner(tmp_path / "bin")
    good = config_bytes(base_doc, reload__poll_interval_s=NO_POLL)
    services: list[tuple[ServiceProcess, Path]] = []
    repro_dir = tmp_path / "repro"
    repro_dir.mkdir()
    try:
        for kind in SERVICES:
            folder = tmp_path / kind / "config"
            folder.mkdir(parents=True)
            path = folder / "config.toml"
            path.write_bytes(good)
            svc = start_service(kind, path, tmp_path / kind / "run", scanner_binary=binary)
            svc.wait_healthy()
            svc.wait_hash(sha256(good))
            services.append((svc, path))

        deadline = time.monotonic() + BUDGET_S
        outcomes: dict[str, Outcome] = {}
        errors: dict[str, BaseException] = {}

        def run(svc: ServiceProcess, path: Path) -> None:
            try:
                outcomes[svc.kind] = _fuzz(svc, path, SEED, base_doc, deadline, repro_dir)
            except BaseException as e:  # a checkpoint not applied: reported below with the service's state
                errors[svc.kind] = e

        threads = [threading.Thread(target=run, args=sv) for sv in services]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for svc, _ in services:
            o = outcomes.get(svc.kind)
            if o is not None and svc.alive():
                st = svc.status()
                print(f"{o.kind}: {o.steps} configs in {o.seconds:.1f} s, {len(o.exits)} exits, {len(o.hangs)} hangs "
                      f"({o.settled} waited for a verdict, {st.get('reloads')} reloads, "
                      f"{st.get('rejected')} rejections reported)")
        assert not errors, "\n".join(f"{k}: {e}" for k, e in errors.items())
        problems = [p for o in outcomes.values() for p in o.exits + o.hangs]
        assert not problems, "\n".join(problems) + f"\nrepro files in {repro_dir}"
        assert all(o.steps >= min(STEPS, 100) for o in outcomes.values()), \
            f"the {BUDGET_S:.0f} s budget ran out early: {[(o.kind, o.steps) for o in outcomes.values()]}"

        # After the last one, a good config is applied and reported.
        for svc, path in services:
            final = config_bytes(base_doc, reload__poll_interval_s=NO_POLL, trading__max_positions=42)
            _clear(path)
            _atomic(path, lambda t: t.write_bytes(final))
            svc.wait_hash(sha256(final))
            status = svc.status()
            assert status["last_error"] is None, status
            assert status["config"]["trading"]["max_positions"] == 42
            assert svc.get("/readyz") == (200, {"ready": True})
    finally:
        for svc, _ in services:
            alive = svc.alive()
            svc.stop()
            print(f"{svc.kind} {'was running' if alive else 'had exited'} at the end")
            if not alive:
                print(svc.describe())
