"""A slide deck and a PDF handout for the week's presenter, made from a chapter's executed notebook.

    python -m vitlite.slides 04             # build/slides/04_swin.html (open it in a browser; S: speaker notes)
    python -m vitlite.slides 04 --pdf       # and build/slides/04_swin.pdf, one page per slide
    python -m vitlite.slides --all --pdf    # every chapter

The deck follows the chapter, so it never goes stale: the title and paper, the study card, the
architecture schematic, each numbered section's heading and opening paragraph (the rest of the section
in the speaker notes), the key equations, the outputs of the build checks (``NBVAL_CHECK_OUTPUT``
cells), the experiment's prediction, verdicts and reading, the summary and the discussion questions.
Cell metadata decides: a cell whose ``slideshow.slide_type`` (Jupyter's slideshow metadata) is ``skip``
never appears, one marked ``slide`` appears whole, on its own slide; every other cell follows the rules
above. reveal.js 5, MathJax 3 and the Korean font are served from the deck's folder (fetched once from
npm into ``build/npm``, as for the site); the handout is headless Chromium's print of the deck's
``?print-pdf`` view (through Playwright: ``pip install -e ".[browser]"``).
"""

from __future__ import annotations

import argparse
import functools
import html
import http.server
import json
import os
import re
import shutil
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from vitlite.course import CHAPTER_TITLES
from vitlite.site import ROOT, MissingVendor, _npm_package, vendor_korean_font, vendor_mathjax

__all__ = ["Slide", "slides_of", "build_deck", "build_handout", "pdf_pages", "serve_folder", "REVEAL"]

REVEAL = "reveal.js@5.2.1"
CHROMIUM = os.environ.get("VITLITE_CHROMIUM", "/usr/bin/chromium")
MAX_OUTPUT_LINES = 16


@dataclass
class Slide:
    """One slide: its title, its body (HTML) and the speaker notes (plain text)."""

    title: str
    body: str
    notes: str = ""
    kind: str = "section"
    classes: list[str] = field(default_factory=list)


def _markdown(text: str) -> str:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(text)


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def _heading(text: str) -> tuple[str, str]:
    """(the heading's text, the rest) of a markdown cell that starts with '#'."""
    first, _, rest = text.strip().partition("\n")
    return first.lstrip("#").strip(), rest.strip()


def _stream(cell: dict) -> str:
    return "".join("".join(o.get("text", "")) for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def _image(cell: dict) -> str | None:
    for output in cell.get("outputs", []):
        png = output.get("data", {}).get("image/png")
        if png:
            return "".join(png) if isinstance(png, list) else png
    return None


def _pre(text: str, limit: int = MAX_OUTPUT_LINES) -> str:
    lines = text.rstrip().splitlines()
    if len(lines) > limit:
        lines = lines[:limit] + [f"... ({len(lines) - limit} more lines in the notebook)"]
    return f"<pre class='output'>{html.escape(chr(10).join(lines))}</pre>"


def _slide_type(cell: dict) -> str | None:
    return (cell.get("metadata", {}).get("slideshow") or {}).get("slide_type")


def slides_of(nb: dict) -> list[Slide]:
    """The deck of one executed chapter notebook (a dict as stored on disk), by the rules in the module
    docstring; cells with slideshow metadata follow it."""
    cells = nb["cells"]
    slides: list[Slide] = []
    discussion: Slide | None = None
    section = ""
    after_report = False
    for index, cell in enumerate(cells):
        source = "".join(cell.get("source", ""))
        forced = _slide_type(cell)
        if forced == "skip":
            continue
        if cell["cell_type"] == "markdown" and re.match(r"#+ .*(lab notebook|references)", source.strip(), re.I):
            break  # the main line ends here
        if forced in ("slide", "subslide"):
            title = _heading(source)[0] if cell["cell_type"] == "markdown" and source.startswith("#") else section
            body = (
                _markdown(source)
                if cell["cell_type"] == "markdown"
                else (
                    _pre(_stream(cell)) + (f"<img src='data:image/png;base64,{_image(cell)}'>" if _image(cell) else "")
                )
            )
            slides.append(Slide(title, body, kind="forced"))
            continue
        if cell["cell_type"] == "markdown":
            text = source.strip()
            if index == 0:  # title and paper
                title, rest = _heading(text)
                paper = next((p for p in _paragraphs(rest) if p.startswith("**Paper:**")), "")
                slides.append(Slide(title, _markdown(paper), kind="title", classes=["title"]))
                continue
            if text.startswith("## Study card"):
                card, _, questions = text.partition("**For discussion")
                slides.append(Slide(_heading(card)[0], _markdown(_heading(card)[1]), kind="card", classes=["dense"]))
                if questions:
                    discussion = Slide(
                        "For discussion · 토론 질문", _markdown(questions.split("**", 1)[-1]), kind="discussion"
                    )
                continue
            if text.startswith("## Setup"):
                section = ""
                continue
            if text.startswith("#"):
                title, rest = _heading(text)
                if re.match(r"(\d+ ·|Architecture|Summary|Glossary)", title):
                    section = title
                    if title.startswith("Glossary"):
                        continue
                    paragraphs = _paragraphs(rest)
                    lead = paragraphs[0] if paragraphs else ""
                    classes = ["dense"] if title.startswith("9 ·") or "Summary" in title else []
                    body = _markdown(rest) if "Summary" in title else _markdown(lead)
                    slides.append(Slide(title, body, notes=rest, classes=classes))
            if "$$" in text:
                equations = "\n\n".join(m.group(0) for m in re.finditer(r"\$\$.+?\$\$", text, re.S))
                slides.append(Slide(section, _markdown(equations), notes=text, kind="equations"))
            prediction = next((p for p in _paragraphs(text) if p.startswith("**Your prediction")), None)
            if prediction:
                slides.append(
                    Slide(f"{section}: your prediction", _markdown(prediction), notes=text, kind="prediction")
                )
            elif after_report:
                slides.append(
                    Slide(f"{section}: what the verdicts say", _markdown(text), kind="reading", classes=["dense"])
                )
            after_report = False
            continue
        # code cells: only their outputs
        if "claims.report(" in source:
            slides.append(
                Slide(f"{section}: verdicts", _pre(_stream(cell), limit=40), kind="verdicts", classes=["dense"])
            )
            after_report = True
            continue
        after_report = False
        if "schematics." in source and _image(cell):
            slides.append(
                Slide(
                    section or "Architecture",
                    f"<img class='figure' src='data:image/png;base64,{_image(cell)}'>",
                    kind="schematic",
                )
            )
        elif source.lstrip().startswith("# NBVAL_CHECK_OUTPUT") and _stream(cell).strip():
            slides.append(
                Slide(
                    f"{section}: check",
                    _pre(_stream(cell)),
                    notes="Printed by a cell whose output the tests compare (NBVAL_CHECK_OUTPUT).",
                    kind="check",
                    classes=["dense"],
                )
            )
    if discussion is not None:
        slides.append(discussion)
    return slides


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
<link rel="stylesheet" href="reveal.js/dist/reset.css">
<link rel="stylesheet" href="reveal.js/dist/reveal.css">
<link rel="stylesheet" href="reveal.js/dist/theme/white.css">
<link rel="stylesheet" href="noto-sans-kr/fonts.css">
<style>
  .reveal {{ font-family: "vitlite KR", "Source Sans Pro", Helvetica, Arial, sans-serif; font-size: 30px; }}
  .reveal h1, .reveal h2 {{ font-family: "vitlite KR", "Source Sans Pro", Helvetica, Arial, sans-serif; text-transform: none; }}
  .reveal h2 {{ font-size: 1.3em; }}
  .reveal section {{ text-align: left; }}
  .reveal section.dense {{ font-size: 0.7em; }}
  .reveal section.title {{ text-align: center; }}
  .reveal table {{ font-size: 0.8em; }}
  .reveal pre.output {{ font-size: 0.62em; width: 100%; box-shadow: none; background: #f6f6f6; padding: 0.5em; white-space: pre; overflow: hidden; }}
  .reveal img.figure {{ max-height: 560px; max-width: 100%; }}
  .reveal .footer {{ position: absolute; bottom: -1.4em; right: 0; font-size: 0.4em; color: #888; }}
</style>
</head>
<body>
<div class="reveal"><div class="slides">
{sections}
</div></div>
<script src="reveal.js/dist/reveal.js"></script>
<script src="reveal.js/plugin/notes/notes.js"></script>
<script src="reveal.js/plugin/math/math.js"></script>
<script>
Reveal.initialize({{
  hash: true, width: 1280, height: 800, margin: 0.04, center: false,
  pdfMaxPagesPerSlide: 1, pdfSeparateFragments: false,
  mathjax3: {{ mathjax: "mathjax/tex-mml-chtml.js", tex: {{ inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]] }} }},
  plugins: [RevealNotes, RevealMath.MathJax3]
}});
</script>
</body>
</html>
"""


def _section(slide: Slide, chapter: str) -> str:
    classes = f" class='{' '.join(slide.classes)}'" if slide.classes else ""
    notes = f"<aside class='notes'>{html.escape(slide.notes)}</aside>" if slide.notes else ""
    heading = (
        f"<h1>{html.escape(slide.title)}</h1>" if slide.kind == "title" else f"<h2>{html.escape(slide.title)}</h2>"
    )
    return f"<section{classes} data-kind='{slide.kind}'>{heading}{slide.body}{notes}<div class='footer'>vitlite · chapter {chapter}</div></section>"


def _vendor(dest: Path, cache: Path, fetch: bool) -> None:
    reveal = _npm_package(cache, REVEAL, "dist/reveal.js", fetch)
    # the white theme only (the others import fonts from Google's servers) and its bundled Source Sans Pro
    for part in (
        "dist/reveal.js",
        "dist/reveal.css",
        "dist/reset.css",
        "dist/theme/white.css",
        "dist/theme/fonts/source-sans-pro",
        "plugin/notes/notes.js",
        "plugin/math/math.js",
    ):
        source, target = reveal / part, dest / "reveal.js" / part
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, target) if source.is_dir() else shutil.copy2(source, target)
    vendor_mathjax(dest, cache, fetch)
    vendor_korean_font(dest, cache, fetch)


def _stem(chapter: str) -> str:
    key = str(chapter) if "_" in str(chapter) else str(chapter).zfill(2)
    matches = [s for s in CHAPTER_TITLES if key in (s, s[:2])]
    if len(matches) != 1:
        raise SystemExit(f"unknown chapter {chapter!r}; give a number 01-10 or one of {list(CHAPTER_TITLES)}")
    return matches[0]


def build_deck(chapter: str, out: Path | None = None, npm_cache: Path | None = None, fetch: bool = True) -> Path:
    """The deck of ``chapter`` ("04" or "04_swin") as ``out/<stem>.html`` (default ``build/slides``),
    with reveal.js, MathJax and the Korean font beside it; returns the deck's path."""
    stem = _stem(chapter)
    out = Path(out or ROOT / "build" / "slides").resolve()
    out.mkdir(parents=True, exist_ok=True)
    _vendor(out, Path(npm_cache or ROOT / "build" / "npm").resolve(), fetch)
    notebook = ROOT / "chapters" / f"{stem}.ipynb"
    if not notebook.exists():
        raise SystemExit(f"{notebook} is missing: run python -m vitlite.bench --write {stem[:2]} first")
    slides = slides_of(json.loads(notebook.read_text(encoding="utf-8")))
    deck = out / f"{stem}.html"
    deck.write_text(
        PAGE.format(title=html.escape(slides[0].title), sections="\n".join(_section(s, stem[:2]) for s in slides)),
        encoding="utf-8",
    )
    return deck


def serve_folder(folder: Path) -> http.server.ThreadingHTTPServer:
    """A quiet HTTP server for ``folder`` on a free localhost port, serving in a daemon thread (``shutdown()`` stops it)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def build_handout(deck: Path, chromium: str | None = None, timeout: float = 120) -> Path:
    """The PDF handout of a built deck, beside it: headless Chromium, driven by Playwright, prints the
    deck's ``?print-pdf`` view (one page per slide) from a local server once reveal.js has laid out every
    page and MathJax has typeset. Raises SystemExit when Chromium or Playwright is missing."""
    chromium = chromium or (
        CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not chromium or not Path(chromium).exists():
        raise SystemExit(
            "the handout is printed by headless Chromium: apt-get install chromium (or set VITLITE_CHROMIUM)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit('the handout is printed through Playwright: pip install -e ".[browser]"') from None
    pdf = deck.with_suffix(".pdf")
    sections = len(re.findall(r"<section\b", deck.read_text(encoding="utf-8")))
    server = serve_folder(deck.parent)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium,
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
            )
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(f"http://127.0.0.1:{server.server_address[1]}/{deck.name}?print-pdf", timeout=timeout * 1000)
                page.wait_for_function(
                    f"() => document.querySelectorAll('.pdf-page').length === {sections}", timeout=timeout * 1000
                )
                page.evaluate(
                    "() => (window.MathJax && MathJax.startup && MathJax.startup.promise) ? MathJax.startup.promise : null"
                )
                page.evaluate("() => document.fonts.ready.then(() => true)")
                page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    if not pdf.exists() or pdf.stat().st_size == 0:
        raise SystemExit(f"Chromium did not print {deck.name}")
    return pdf


def pdf_pages(pdf: Path) -> int:
    """The number of pages of a PDF that Chromium printed (its page objects; no PDF library needed)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf.read_bytes()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vitlite.slides", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("chapters", nargs="*", help="chapter numbers (01-10) or stems")
    parser.add_argument("--all", action="store_true", help="every chapter")
    parser.add_argument("--pdf", action="store_true", help="also print each deck's PDF handout (needs Chromium)")
    parser.add_argument("--out", type=Path, default=None, help="where to write the decks (default: build/slides)")
    args = parser.parse_args(argv)
    chapters = list(CHAPTER_TITLES) if args.all else args.chapters
    if not chapters:
        parser.error("name a chapter (e.g. 04) or give --all")
    for chapter in chapters:
        deck = build_deck(chapter, args.out)
        line = f"{deck}"
        if args.pdf:
            pdf = build_handout(deck)
            line += f" and {pdf.name} ({pdf_pages(pdf)} pages)"
        print(line)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except MissingVendor as missing:
        print(missing)
        sys.exit(1)
