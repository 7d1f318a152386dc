"""`invoke --list` stays fast because no task module imports a heavy client at load time."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ["kubernetes", "docker", "rich", "jsonschema", "tomlkit", "cookiecutter", "watchfiles", "requests", "traderadmin"]


def test_loading_the_tasks_imports_no_heavy_module():
    code = ("import sys; sys.path.insert(0, %r); import tasks; "
            "print(','.join(m for m in %r if m in sys.modules))") % (str(ROOT), HEAVY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"imported at load time: {out}; move those imports into the task bodies"
