"""A chapter's explorer cells in a real kernel with live widgets (not the headless fallback), driven from code.

CI runs this file, with test_explore.py, a second time in an environment pinned to the widget versions
Colab ships (ipywidgets 7.7.1, ipykernel 6.17.1, IPython 7.34.0); there ``VITLITE_EXPECT_IPYWIDGETS``
names the version the kernel must report. The browser test (test_browser.py) goes one step further and
drags the slider in JupyterLab.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipywidgets")

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "chapters" / "04_swin.ipynb"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
pytestmark = pytest.mark.slow  # runs chapter 04's explorer cells in a live kernel

DRIVE = """
import json
import ipywidgets as W
box = explorer.widget()
controls = {c.description: c for c in box.children[0].children}
calls = []
draw = explorer.draw
explorer.draw = lambda fig, **values: (calls.append(values), draw(fig, **values))
assert (controls["shift"].value, controls["window"].value) != (1, 0), "the drive below must change both controls"
controls["shift"].value = 1
controls["window"].value = 0
explorer.draw = draw
print(json.dumps({"ipywidgets": W.__version__, "controls": sorted(controls), "calls": calls}))
"""


def explorer_notebook(path: Path):
    """The chapter's setup cell and every cell that builds or shows its explorer, then a cell that moves two controls."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    keep = [code[0]] + [c for c in code[1:] if "explorer" in c.source]
    for cell in keep:
        cell.outputs, cell.execution_count = [], None
    nb.cells = keep + [nbformat.v4.new_code_cell(DRIVE)]
    return nb


def test_explorer_cells_with_live_widgets(monkeypatch):
    monkeypatch.delenv("VITLITE_HEADLESS", raising=False)  # widgets, as in a browser
    nb = explorer_notebook(CHAPTER)
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(CHAPTER.parent)}}
    ).execute()
    outputs = [o for c in nb.cells for o in c.outputs]
    errors = [f"{o.ename}: {o.evalue}" for o in outputs if o.output_type == "error"]
    assert not errors, errors
    views = [o for o in outputs if WIDGET_VIEW in o.get("data", {})]
    assert len(views) == 1, "the explorer cell should display one live widget"
    report = json.loads(nb.cells[-1].outputs[-1]["text"].strip().splitlines()[-1])
    expected = os.environ.get("VITLITE_EXPECT_IPYWIDGETS")
    if expected:
        assert report["ipywidgets"] == expected, (
            f"the kernel has ipywidgets {report['ipywidgets']}, CI asked for {expected}"
        )
    assert {"shift", "window", "query"} <= set(report["controls"])
    assert [c["shift"] for c in report["calls"]] == [1, 1] and report["calls"][-1]["window"] == 0, report["calls"]
