"""The presenter's decks (vitlite.slides): made from each executed chapter, serving reveal.js, MathJax
and the Korean font themselves, with the parts the study group presents; the PDF handout has one page
per slide. Built from the npm cache that .ci/run fills (``python -m vitlite.slides --all``); never fetched here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vitlite import site, slides
from vitlite.course import CHAPTER_TITLES

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(slides.CHROMIUM)


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    pytest.importorskip("nbconvert")
    out = tmp_path_factory.mktemp("slides")
    try:
        return {stem: slides.build_deck(stem, out, fetch=False) for stem in CHAPTER_TITLES}
    except site.MissingVendor as missing:
        pytest.skip(str(missing))


def _graded_in_lab_notebook(path: Path) -> set[str]:
    """The claim keys a chapter prints only after its "Lab notebook" heading (the deck stops there)."""
    import json

    printed, after = {"main": "", "lab": ""}, "main"
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell.get("source", ""))
        if cell["cell_type"] == "markdown" and re.search(r"^#+ .*lab notebook", source, re.I | re.M):
            after = "lab"
        for out in cell.get("outputs", []):
            printed[after] += "".join(out.get("text", ""))
    lab, main = (set(re.findall(r"^\[(\d\d\.\w+)\]", printed[k], re.M)) for k in ("lab", "main"))
    return lab - main


def _kinds(deck: Path) -> list[str]:
    return re.findall(r"<section[^>]*data-kind='(\w+)'", deck.read_text(encoding="utf-8"))


@pytest.mark.parametrize("stem", list(CHAPTER_TITLES))
def test_each_deck_has_what_the_presenter_needs(decks, stem):
    deck = decks[stem]
    text = deck.read_text(encoding="utf-8")
    kinds = _kinds(deck)
    assert kinds[0] == "title" and kinds[1] == "card" and kinds[-1] == "discussion", kinds
    assert "스터디 카드" in text and "토론 질문" in text
    assert "prediction" in kinds and "verdicts" in kinds and "reading" in kinds
    assert "check" in kinds, "no build check on the slides"
    notebook = (ROOT / "chapters" / f"{stem}.ipynb").read_text(encoding="utf-8")
    if "$$" in notebook:
        assert "equations" in kinds
    from vitlite.recipes import claims

    optional = _graded_in_lab_notebook(ROOT / "chapters" / f"{stem}.ipynb")
    for row in claims.verdicts():
        if row.claim.chapter == int(stem[:2]) and row.claim.key not in optional:
            assert f"[{row.claim.key}]" in text and row.verdict.upper() in text, (
                f"{row.claim.key} missing from the verdicts slide"
            )


def test_decks_load_nothing_from_another_host(decks):
    folder = next(iter(decks.values())).parent
    assert site.external_resources(folder) == {}
    text = decks["04_swin"].read_text(encoding="utf-8")
    assert (
        'src="reveal.js/dist/reveal.js"' in text and (folder / "reveal.js" / "plugin" / "notes" / "notes.js").exists()
    )
    assert (folder / "mathjax" / "tex-mml-chtml.js").exists() and (folder / "noto-sans-kr" / "fonts.css").exists()


def test_cell_metadata_decides(tmp_path):
    def md(text, **meta):
        return {"cell_type": "markdown", "metadata": meta, "source": text}

    def code(source, printed, **meta):
        return {
            "cell_type": "code",
            "metadata": meta,
            "source": source,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": printed}],
        }

    nb = {
        "cells": [
            md("# Chapter 99 · A test\n\n**Paper:** Someone. A paper."),
            md("## 1 · Kept\n\nOpening paragraph.\n\nMore."),
            md("## 2 · Skipped by its metadata\n\nNever shown.", slideshow={"slide_type": "skip"}),
            code("x = 1", "not on a slide\n"),
            code("print(2)", "forced onto a slide\n", slideshow={"slide_type": "slide"}),
            md("## References\n\n1. A paper."),
            md("## 3 · After the main line\n\nNever shown."),
        ]
    }
    deck = slides.slides_of(nb)
    titles = [s.title for s in deck]
    assert titles[:2] == ["Chapter 99 · A test", "1 · Kept"]
    assert not any("Skipped" in t or "After the main line" in t for t in titles)
    bodies = " ".join(s.body for s in deck)
    assert (
        "forced onto a slide" in bodies
        and "not on a slide" not in bodies
        and "Opening paragraph" in bodies
        and "More." not in bodies
    )
    assert deck[1].notes.endswith("More.")  # the rest of the section goes to the speaker notes


@pytest.mark.slow
def test_handout_has_one_page_per_slide(decks):
    if not CHROMIUM.exists():
        pytest.skip(
            f"handout test skipped: no Chromium at {CHROMIUM} (apt-get install chromium, or set VITLITE_CHROMIUM)"
        )
    deck = decks["04_swin"]
    pdf = slides.build_handout(deck)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert slides.pdf_pages(pdf) == len(_kinds(deck))


def test_unknown_chapter_names_the_choices():
    with pytest.raises(SystemExit, match=r"unknown chapter '11'; give a number 01-10"):
        slides.build_deck("11")
