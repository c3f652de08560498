"""The website (vitlite.site): built offline from the stored notebooks, every page loading nothing from
another host, the front page agreeing with the ledger and the runtimes. The browser check of a built
page is in tests/test_browser.py.

The site serves MathJax and the Korean font itself; they come from npm once, into build/npm
(``python -m vitlite.site`` fetches them; .ci/run does so before the tests). These tests never fetch.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from vitlite import site
from vitlite.course import CHAPTER_TITLES

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_nb")
    try:
        return site.build(tmp_path_factory.mktemp("site") / "site", fetch=False)
    except site.MissingVendor as missing:
        pytest.skip(str(missing))


def test_every_chapter_has_a_page_and_the_front_page_links_them(built):
    index = (built / "index.html").read_text(encoding="utf-8")
    for stem in CHAPTER_TITLES:
        assert (built / f"{stem}.html").exists(), f"no page for {stem}"
        assert f'href="{stem}.html"' in index


def test_no_page_loads_anything_from_another_host(built):
    assert site.external_resources(built) == {}
    page = (built / "04_swin.html").read_text(encoding="utf-8")
    assert "colab-badge.svg" not in page and "Open in Colab" in page  # the badge image became a link
    assert re.search(r'<script[^>]*src="_static/mathjax/tex-mml-chtml\.js', page)
    assert (built / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()
    assert list((built / "_static" / "noto-sans-kr" / "files").glob("*.woff2"))


def test_external_resources_finds_what_a_page_would_load(tmp_path):
    (tmp_path / "a.html").write_text(
        '<script src="https://cdn.example.org/x.js"></script><a href="https://arxiv.org/abs/1">paper</a>'
        '<img src="//img.example.org/b.png"><link rel="stylesheet" href="http://css.example.org/c.css">'
    )
    (tmp_path / "b.css").write_text("@font-face { src: url('https://fonts.example.org/f.woff2'); }")
    assert site.external_resources(tmp_path) == {
        "a.html": ["//img.example.org/b.png", "http://css.example.org/c.css", "https://cdn.example.org/x.js"],
        "b.css": ["https://fonts.example.org/f.woff2"],
    }


def test_chapter_pages_show_figures_math_and_the_korean_card(built):
    page = (built / "04_swin.html").read_text(encoding="utf-8")
    assert "스터디 카드" in page and "검증방법" in page
    assert page.count('class="math notranslate nohighlight"') >= 1
    images = re.findall(r'<img[^>]+src="(_images/[^"]+\.png)"', page)
    assert len(images) >= 5 and all((built / src).exists() for src in images)
    assert "explorers show their static figure here" in page


def test_front_page_counts_are_the_ledgers_and_runtimes_are_recorded(built):
    from vitlite.recipes import claims

    text = re.sub(r"<[^>]+>", "", (built / "index.html").read_text(encoding="utf-8"))
    rows = claims.verdicts()
    assert f"{len(rows)} claims" in text
    for kind in ("held", "inconclusive", "did not hold"):
        assert f"{sum(r.verdict == kind for r in rows)} {kind}" in text
    runtimes = json.loads((ROOT / "assets" / "runtimes.json").read_text())
    for stem, seconds in runtimes.items():
        assert f"{seconds:.0f} s" in text, f"the front page lacks {stem}'s runtime"


def test_build_without_the_npm_packages_says_how_to_get_them(tmp_path):
    pytest.importorskip("sphinx")
    with pytest.raises(site.MissingVendor, match=r"mathjax@3\.2\.2 is not in .*: run python -m vitlite\.site once"):
        site.build(tmp_path / "site", npm_cache=tmp_path / "empty", fetch=False)
