"""The differential fuzzer's CI form: 10,000 generated configs, every judge, no disagreement.

bench/fuzz_differential.py builds configs from config/schema.json (valid, boundary and wrong values,
extra and missing keys, varied TOML layouts, text-level mutations of vectors and configs) and feeds the
same bytes to the toolkit and the orchestrator (in-process) and the Go contract module (a long-running
`contract/go/cmd/judge`). Here each config carries at most one fault, so all judges must give the same
verdict, the same class of refusal (syntax or keys) and the same keys at fault. Nothing is skipped: a
judge that cannot be reached (no Go toolchain, a build failure) fails the test with the reason.
"""
import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COUNT = 10_000
SEED = 20240601


def _fuzzer():
    spec = importlib.util.spec_from_file_location("fuzz_differential", ROOT / "bench" / "fuzz_differential.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.timeout(300)
def test_all_judges_agree_on_generated_configs(tmp_path):
    if shutil.which("go") is None:
        pytest.fail("the Go judge needs Go: `go` is not on PATH", pytrace=False)
    fuzz = _fuzzer()
    try:
        fuzz.build_go_judge(tmp_path / "judge")
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    fuzz._GO_BINARY = tmp_path / "judge"
    result = fuzz.run(COUNT, SEED, seconds=None, workers=2, single=True)
    assert result["done"] == COUNT
    stats = result["stats"]
    # The generator must exercise every kind of verdict, or agreement means little.
    assert min(stats.values()) >= COUNT // 20, stats
    found = result["found"]
    if found:
        out = tmp_path / "disagreements"
        fuzz.write_disagreements(found, out)
        shown = "\n".join(
            f"config {f['index']}: {bytes.fromhex(f['data'])[:300]!r}\n"
            + "\n".join(f"    {judge}: ok={v['ok']} syntax={v['syntax']} keys={v['keys']} {v['error'][:200]!r}"
                        for judge, v in f["verdicts"].items())
            for f in found[:10]
        )
        pytest.fail(f"{len(found)} of {COUNT} configs judged differently ({result['counts']}); "
                    f"all written to {out}:\n{shown}", pytrace=False)
