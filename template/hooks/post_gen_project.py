"""Optionally start the app's own git repository on the plan's first branch."""
import shutil
import subprocess
import sys

GIT_INIT = {{ cookiecutter.git_init | string | lower | tojson }} in ("true", "yes", "y", "1")
BRANCH = "feature/backend-setup"

if GIT_INIT:
    git = shutil.which("git")
    if git is None:
        print("ERROR: git_init was asked for but git is not installed: apt-get install git", file=sys.stderr)
        sys.exit(1)
    for args in (["init", "--quiet"], ["checkout", "--quiet", "-b", BRANCH]):
        result = subprocess.run([git, *args], capture_output=True, text=True)
        if result.returncode != 0:
            print(f"ERROR: git {' '.join(args)} failed: {result.stderr.strip()}", file=sys.stderr)
            sys.exit(1)
