"""Colab's own stack: the package must install there without replacing what Colab ships.

A dependency floor above Colab's version makes pip upgrade the package, which for torch means a multi-GB
download and for ipywidgets or IPython a runtime restart. Colab's versions below are from its public
backend-info listing (mid-2026); update them when Colab moves.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
COLAB = {
    "python": "3.13",
    "torch": "2.11.0",
    "ipywidgets": "7.7.1",
    "ipykernel": "6.17.1",
    "ipython": "7.34.0",
    "matplotlib": "3.10.0",
    "numpy": "2.1.0",
    "transformers": "5.0.0",
    "timm": "1.0.0",
}


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize("requirement", _project()["dependencies"])
def test_no_floor_above_colabs_version(requirement):
    req = Requirement(requirement)
    name = req.name.lower()
    if name not in COLAB:
        return  # Colab ships no version we know of: nothing to replace
    assert req.specifier.contains(Version(COLAB[name]), prereleases=True), (
        f"{requirement!r} does not admit Colab's {name} {COLAB[name]}: installing vitlite on Colab would replace it; lower the floor"
    )


def test_python_floor_admits_colabs_python():
    spec = _project()["requires-python"]
    from packaging.specifiers import SpecifierSet

    assert SpecifierSet(spec).contains(Version(COLAB["python"])), (
        f"requires-python {spec!r} excludes Colab's Python {COLAB['python']}"
    )


def test_every_chapter_bootstraps_colab_with_the_same_text():
    """One install block, word for word, in every chapter's setup cell; its URL is pyproject's (course.install_command)."""
    from vitlite.course import repository_url

    blocks = {}
    for path in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.py")):
        text = path.read_text()
        match = re.search(r'^if "google\.colab" in sys\.modules:.*?\n(?:    .*\n)+', text, re.MULTILINE)
        assert match, f"{path.name}: no Colab bootstrap block in the setup cell"
        blocks[path.stem] = match.group(0)
    assert len(blocks) == 10
    assert len(set(blocks.values())) == 1, f"the Colab bootstrap differs between chapters: {sorted(blocks)}"
    assert f"vitlite @ git+{repository_url()}" in next(iter(blocks.values()))
