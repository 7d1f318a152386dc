import sys
from pathlib import Path

# The tests run against the source tree, installed or not (also from the repository root).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
