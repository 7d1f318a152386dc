"""Fixtures of the desktop console's window tests: the display tools, checked first, and one
build of the app from the template for every test of the run.

They never skip: without Xvfb, xdotool or ImageMagick they fail and say how to install them.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from apphelpers import APP
from traderadmin.app import build as app_build
from traderadmin.app import drive, scaffold


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.cluster)
            item.add_marker(pytest.mark.timeout(3000))


@pytest.fixture(scope="session")
def display_tools() -> None:
    """Checked first, so a machine without a virtual display fails before minutes of building."""
    try:
        drive.require_display_tools()
    except drive.DriveError as e:
        pytest.fail(str(e))


@pytest.fixture(scope="session")
def binary(display_tools, tmp_path_factory: pytest.TempPathFactory) -> app_build.BuildResult:
    """The app as `invoke bootstrap` + `invoke app.build` make it, in a temp folder."""
    made = scaffold.render(tmp_path_factory.mktemp("app"), APP)
    return app_build.build(made.path)
