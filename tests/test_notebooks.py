"""The chapter notebooks as files: paired, executed in order, small, and shaped by the chapter contract.

Running them is nbval's job (pytest collects chapters/*.ipynb with --nbval-lax).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from vitlite.course import CHAPTER_TITLES, colab_url, repository_url

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
RUNTIMES = (
    json.loads((ROOT / "assets" / "runtimes.json").read_text()) if (ROOT / "assets" / "runtimes.json").exists() else {}
)
MAX_BYTES = 3_000_000
BUDGET_S, COURSE_BUDGET_S = 180, 25 * 60


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def markdown(nb: dict) -> str:
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _without_jupytext_version(text: str) -> str:
    return "\n".join(
        line for line in text.strip().splitlines() if not line.lstrip("# ").startswith("jupytext_version:")
    )


def test_there_are_chapters():
    assert CHAPTERS, "no chapter notebooks found under chapters/"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
class TestChapterFile:
    def test_is_a_known_chapter(self, path):
        assert path.stem in CHAPTER_TITLES, f"{path.name} is not in vitlite.course.CHAPTER_TITLES"

    def test_twin_in_sync(self, path):
        jupytext = pytest.importorskip("jupytext")
        twin = path.with_suffix(".py")
        assert twin.exists(), f"{path.name} has no jupytext twin {twin.name}"
        expected = jupytext.writes(jupytext.read(path), fmt="py:percent")
        # jupytext stamps its own version into the header; a new jupytext release must not fail this test.
        assert _without_jupytext_version(expected) == _without_jupytext_version(twin.read_text()), (
            f"{twin.name} is out of sync with {path.name}: run python -m vitlite.bench --write {path.stem[:2]}"
        )

    def test_executed_top_to_bottom(self, path):
        counts = [c["execution_count"] for c in code_cells(load(path))]
        assert counts == list(range(1, len(counts) + 1)), (
            f"execution counts {counts}: execute the notebook once, top to bottom"
        )

    def test_no_errors_and_no_widget_state(self, path):
        nb = load(path)
        errors = [o for c in code_cells(nb) for o in c["outputs"] if o["output_type"] == "error"]
        assert not errors, f"stored outputs contain errors: {[e['ename'] for e in errors]}"
        assert "widgets" not in nb["metadata"], "widget state is saved in the notebook metadata"
        widget_views = [
            o
            for c in code_cells(nb)
            for o in c["outputs"]
            if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
        ]
        assert not widget_views, "stored outputs contain widget views; execute headless (VITLITE_HEADLESS=1)"

    def test_small(self, path):
        size = path.stat().st_size
        assert size < MAX_BYTES, f"{path.name} is {size / 1e6:.1f} MB; keep figures at modest DPI and logs short"
        for cell in code_cells(load(path)):
            text = sum(len("".join(o.get("text", ""))) for o in cell["outputs"])
            assert text < 20_000, f"a cell prints {text} characters; trim its log"

    def test_header(self, path):
        nb = load(path)
        first = "".join(nb["cells"][0]["source"])
        assert first.startswith("# Chapter "), "the first cell must start with the chapter's title"
        assert colab_url(path.stem) in first, (
            "the Colab badge must point at this notebook in the repository of pyproject's [project.urls]"
        )
        runtime = re.search(r"\*\*Runtime:\*\* about (\d+) s", first)
        assert runtime, "the title cell must state the measured runtime (python -m vitlite.bench --write)"
        assert int(runtime.group(1)) <= BUDGET_S
        objectives = re.findall(r"^\d\. ", first, re.MULTILINE)
        assert 3 <= len(objectives) <= 5, f"three to five learning objectives, found {len(objectives)}"

    def test_contract_sections(self, path):
        nb = load(path)
        text = markdown(nb)
        for heading in ("Study card", "Setup", "Explore", "Exercises", "Summary", "References"):
            assert re.search(rf"^#+ .*{heading}", text, re.MULTILINE), f"missing section '{heading}'"
        for label in (
            "목적",
            "방법",
            "장점",
            "한계",
            "검증방법",
            "Purpose",
            "Method",
            "Strengths",
            "Limitations",
            "Evaluation",
        ):
            assert label in text, f"the study card lacks '{label}'"
        assert "Take-home" in text or "take-home" in text

    def test_setup_cell(self, path):
        setup = "".join(code_cells(load(path))[0]["source"])
        assert f"vitlite @ git+{repository_url()}" in setup, (
            "the setup cell must install from pyproject's repository URL on Colab"
        )
        assert "vitlite.env.setup(" in setup

    def test_experiment_and_checks(self, path):
        cells = code_cells(load(path))
        sources = ["".join(c["source"]) for c in cells]
        assert any(re.search(r"^\s*assert ", s, re.MULTILINE) for s in sources), "the experiment must assert its result"
        assert any("NBVAL_CHECK_OUTPUT" in s for s in sources), "deterministic cells should carry NBVAL_CHECK_OUTPUT"
        assert any("explorer" in s.lower() for s in sources), "at least one interactive explorer"
        exercises = [s for s in sources if re.search(r"checks\.\w+\(", s)]
        assert 2 <= len(exercises) <= 4, f"two to four exercises with checkers, found {len(exercises)}"
        assert markdown(load(path)).count("<details>") >= len(exercises), "every exercise needs a collapsed solution"

    def test_runtime_recorded(self, path):
        assert path.stem in RUNTIMES, "no recorded runtime: python -m vitlite.bench --write"
        assert RUNTIMES[path.stem] <= BUDGET_S, (
            f"{path.stem} took {RUNTIMES[path.stem]} s, over the {BUDGET_S} s budget"
        )


def test_course_budget():
    assert sum(RUNTIMES.values()) <= COURSE_BUDGET_S


def test_readme_table_lists_every_chapter():
    readme = (ROOT / "README.md").read_text()
    for path in CHAPTERS:
        row = next((line for line in readme.splitlines() if f"chapters/{path.stem}.ipynb" in line), None)
        assert row is not None, f"README's chapter table lacks {path.stem}"
        assert f"{RUNTIMES[path.stem]:.0f} s" in row, (
            f"README's runtime for {path.stem} differs from assets/runtimes.json"
        )


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^(python -m pip install -e \"\.\[dev\]\" && python -m pytest)$", readme, re.MULTILINE)
    assert commands, "README's quick start must give the test command"
    assert commands[0] in (ROOT / ".ci" / "run").read_text(), ".ci/run must run the README's test command verbatim"
