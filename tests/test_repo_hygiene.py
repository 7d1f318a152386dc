"""Catch, in a working checkout, what would only break in a fresh clone."""
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ["template", "services", "deploy", "config/schema.json", "features", "steps", "tests/vectors"]


def test_nothing_the_project_ships_is_hidden_by_a_gitignore():
    """An ignored file exists here but is missing from every clone (a nested .gitignore can hide it)."""
    out = subprocess.run(["git", "ls-files", "--others", "--ignored", "--exclude-standard", "--", *SHIPPED],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    # Build outputs and caches are meant to be ignored.
    allowed = ("/node_modules/", "/build/", "__pycache__", ".pytest_cache", ".egg-info",
               "services/scanner/scanner", "services/configwriter/configwriter")
    hidden = [p for p in out if not any(a in f"/{p}" for a in allowed)]
    assert not hidden, f"ignored by git, so absent from a fresh clone: {hidden}; `git add -f` them or fix the .gitignore"
