"""Content-hash tags and the small pure pieces of the image build (no Docker needed)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from traderadmin.images.base import DebianRecipe
from traderadmin.images.build import image_tag
from traderadmin.images.contenthash import TAG_LENGTH, tree_digest, tree_files
from traderadmin.images.staging import manylinux_platforms


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return _tree(tmp_path / "ctx", {"Dockerfile": "FROM scratch\n", "wheels/a.whl": "a", "bin/run": "#!/bin/sh\n"})


def test_same_content_same_digest_regardless_of_mtime_and_location(tree: Path, tmp_path: Path) -> None:
    before = tree_digest(tree)
    os.utime(tree / "Dockerfile", (1, 1))
    copy = _tree(tmp_path / "elsewhere", {"bin/run": "#!/bin/sh\n", "wheels/a.whl": "a", "Dockerfile": "FROM scratch\n"})
    assert tree_digest(tree) == before == tree_digest(copy)


@pytest.mark.parametrize(
    "change",
    [
        lambda t: (t / "Dockerfile").write_text("FROM scratch\nUSER 1\n"),
        lambda t: (t / "wheels" / "b.whl").write_text("b"),
        lambda t: (t / "wheels" / "a.whl").rename(t / "wheels" / "c.whl"),
        lambda t: (t / "bin" / "run").chmod(0o755),
    ],
    ids=["dockerfile", "new-input", "renamed-input", "exec-bit"],
)
def test_any_content_change_changes_the_digest(tree: Path, change) -> None:
    before = tree_digest(tree)
    change(tree)
    assert tree_digest(tree) != before


def test_caches_do_not_count_for_sources(tree: Path) -> None:
    before = tree_digest(tree)
    _tree(tree, {"pkg/__pycache__/m.cpython-311.pyc": "x", "x.egg-info/PKG-INFO": "y", "build/lib/z.py": "z"})
    assert tree_digest(tree) == before
    assert tree_digest(tree, ignore=False) != before
    assert [p.as_posix() for p in tree_files(tree)] == ["Dockerfile", "bin/run", "wheels/a.whl"]


def test_extra_facts_enter_the_digest(tree: Path) -> None:
    assert tree_digest(tree, extra={"go": "go1.26"}) != tree_digest(tree, extra={"go": "go1.27"})


def test_tag_depends_on_context_and_base() -> None:
    tag = image_tag("c" * 64, "sha256:base1")
    assert tag == image_tag("c" * 64, "sha256:base1")
    assert len(tag) == TAG_LENGTH and tag != "latest"
    assert tag != image_tag("c" * 64, "sha256:base2")
    assert tag != image_tag("d" * 64, "sha256:base1")
    assert image_tag("c" * 64, None) != tag


def test_debian_recipe_tag_follows_the_recipe() -> None:
    plain = DebianRecipe()
    assert plain.ref == f"traderadmin/python-base:{plain.tag}"
    assert DebianRecipe().tag == plain.tag
    assert DebianRecipe(packages=("python3", "ca-certificates", "tzdata")).tag != plain.tag
    assert DebianRecipe(arch="arm64").tag != plain.tag
    assert DebianRecipe(packages=("ca-certificates", "python3")).tag == plain.tag


def test_manylinux_platforms_cover_bookworm_glibc_and_nothing_newer() -> None:
    tags = manylinux_platforms("x86_64")
    assert tags[0] == "manylinux_2_36_x86_64"
    assert "manylinux_2_17_x86_64" in tags and "manylinux2014_x86_64" in tags
    assert "manylinux_2_37_x86_64" not in tags
    assert all(tag.endswith("_x86_64") for tag in tags)
