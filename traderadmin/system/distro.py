"""Which operating system this is, as far as the toolkit's own setup cares (Debian/Ubuntu, root)."""
from __future__ import annotations

import os
import platform
from pathlib import Path


def debian_like() -> bool:
    """Whether /etc/os-release names Debian or Ubuntu as the system or one it is like."""
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return False
    ids = {
        value.strip().strip('"')
        for line in text.splitlines()
        if line.startswith(("ID=", "ID_LIKE="))
        for value in line.split("=", 1)[1].strip('"').split()
    }
    return bool(ids & {"debian", "ubuntu"})


def linux_root_debian() -> bool:
    """The hosts the toolkit may set up itself: root on Debian/Ubuntu Linux (local provider, dockerd)."""
    return platform.system() == "Linux" and os.geteuid() == 0 and debian_like()
