"""What the desktop console's window tests share."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "reports"  # CI keeps reports/ as an artifact; the window tests' screenshots go there
APP = "TraderAdmin"
