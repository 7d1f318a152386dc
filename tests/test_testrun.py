"""What `invoke test` runs: the Go steps come first, one vet and one test per Go module."""
from __future__ import annotations

from pathlib import Path

from traderadmin import testrun


def test_every_go_module_is_vetted_and_tested_with_the_race_detector():
    root = Path("/repo")
    go = [s for s in testrun.steps(root, root / "reports") if s.argv[0] == "go"]
    assert [(s.name, s.cwd) for s in go] == [
        ("go vet (configcontract)", root / "contract" / "go"),
        ("go test (configcontract)", root / "contract" / "go"),
        ("go vet (scanner)", root / "services" / "scanner"),
        ("go test (scanner)", root / "services" / "scanner"),
        ("go vet (configwriter)", root / "services" / "configwriter"),
        ("go test (configwriter)", root / "services" / "configwriter"),
    ]
    assert all(s.argv[1:] == ["test", "-race", "-count=1", "./..."] for s in go if s.name.startswith("go test"))
