"""The course as a static website, built offline from the executed notebooks (nothing is re-run).

    python -m vitlite.site                  # build into build/site; open build/site/index.html
    python -m vitlite.site --out DIR        # somewhere else

Sphinx with myst-nb (execution off) and sphinx-book-theme: ``pip install -e ".[site]"``. Every script,
style and font a page loads is served from the site itself: MathJax 3 and the Korean web font (Noto Sans
KR) are fetched once from the npm registry into ``build/npm`` and copied into the site; the Colab badge
becomes a plain link. :func:`external_resources` lists what a page would load from elsewhere, and the
build fails if any page has one. Explorers show their static figure, as in the stored notebooks; the
front page says how to run them live.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from vitlite.course import CHAPTER_TITLES, repository_url

__all__ = ["build", "external_resources", "front_page", "MissingVendor", "MATHJAX", "KOREAN_FONT"]

ROOT = Path(__file__).resolve().parent.parent
MATHJAX = "mathjax@3.2.2"
KOREAN_FONT = "@fontsource/noto-sans-kr@5.3.0"
BADGE = re.compile(
    r"\[!\[Open In Colab\]\(https://colab\.research\.google\.com/assets/colab-badge\.svg\)\]\((?P<url>[^)]+)\)"
)

CONF = """
project = "vitlite: vision transformers from scratch"
author = "the vitlite authors"
extensions = ["myst_nb"]
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
html_theme = "sphinx_book_theme"
html_title = "vitlite"
html_static_path = ["_static"]
html_css_files = ["noto-sans-kr/fonts.css", "vitlite.css"]
mathjax_path = "mathjax/tex-mml-chtml.js"
html_theme_options = {"use_download_button": False, "use_fullscreen_button": False}
html_show_sourcelink = False
exclude_patterns = ["_build"]
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header"]
"""

CSS = """/* Korean text is drawn by the site's own Noto Sans KR ("vitlite KR": Hangul only, loaded per Unicode range) */
:root {
  --pst-font-family-base: "vitlite KR", -apple-system, BlinkMacSystemFont, "Segoe UI", "Helvetica Neue", Arial, sans-serif;
  --pst-font-family-heading: var(--pst-font-family-base);
}
"""

LIVE_NOTE = """```{note}
This page is the chapter's notebook as executed by `python -m vitlite.bench`; nothing on it runs. The
explorers show their static figure here. To move their sliders, open the notebook in JupyterLab
(`jupyter lab chapters/`) or on Colab ({colab}).
```
"""


def _need(module: str) -> None:
    try:
        __import__(module)
    except ImportError:
        raise SystemExit(
            f'python -m vitlite.site needs {module}: pip install -e ".[site]" (Sphinx, myst-nb, sphinx-book-theme)'
        ) from None


class MissingVendor(SystemExit):
    """An npm package the site serves is not in the cache, and fetching was not allowed."""


def _npm_package(cache: Path, spec: str, probe: str, fetch: bool = True) -> Path:
    """The folder of npm package ``spec`` in ``cache``, installed there first if ``probe`` is missing."""
    name = spec.rsplit("@", 1)[0]
    folder = cache / "node_modules" / name
    if not (folder / probe).exists() and not fetch:
        raise MissingVendor(f"{spec} is not in {cache}: run python -m vitlite.site once (it fetches it with npm)")
    if not (folder / probe).exists():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit(
                f"the site serves {name} itself and needs npm once to fetch {spec} into {cache} (install Node.js and npm)"
            )
        cache.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund", "--silent", spec],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0 or not (folder / probe).exists():
            raise SystemExit(f"npm could not fetch {spec} into {cache}: {(done.stderr or done.stdout).strip()[:300]}")
    return folder


def vendor_mathjax(dest: Path, cache: Path, fetch: bool = True) -> Path:
    """MathJax 3 (the combined TeX component, its fonts and the extensions it loads on demand) copied
    into ``dest/mathjax``; returns the script's path."""
    mathjax = _npm_package(cache, MATHJAX, "es5/tex-mml-chtml.js", fetch) / "es5"
    for part in ("tex-mml-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions", "a11y", "ui"):
        source, target = mathjax / part, dest / "mathjax" / part
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, target) if source.is_dir() else shutil.copy2(source, target)
    return dest / "mathjax" / "tex-mml-chtml.js"


def vendor_korean_font(dest: Path, cache: Path, fetch: bool = True) -> Path:
    """The Korean font's regular and bold weights (Hangul only, family "vitlite KR") copied into
    ``dest/noto-sans-kr``; returns the style sheet's path."""
    font = _npm_package(cache, KOREAN_FONT, "400.css", fetch)
    (dest / "noto-sans-kr" / "files").mkdir(parents=True, exist_ok=True)
    css = []
    for weight in (400, 700):  # regular and bold (table headers, bold labels)
        css.append(_hangul_only((font / f"{weight}.css").read_text()))
    for name in sorted(
        set(re.findall(r"url\(\./files/([^)]+\.woff2)\)", "".join(css)))
    ):  # only the files the rules use
        shutil.copy2(font / "files" / name, dest / "noto-sans-kr" / "files" / name)
    sheet = dest / "noto-sans-kr" / "fonts.css"
    sheet.write_text("\n".join(css))
    return sheet


def _vendor(static: Path, cache: Path, fetch: bool = True) -> None:
    vendor_mathjax(static, cache, fetch)
    vendor_korean_font(static, cache, fetch)
    (static / "vitlite.css").write_text(CSS)


HANGUL = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF))  # jamo, compatibility jamo, syllables


def _hangul_only(css: str) -> str:
    """Fontsource's @font-face rules as the family "vitlite KR", limited to Hangul (each rule's
    unicode-range cut to the Hangul blocks; rules with none dropped) and to woff2. Put first in the
    font stack, it draws every Korean character and nothing else: with the plain family behind the
    system fonts, Chromium drew some bold Hangul (table headers) with a system font that has no such glyphs."""
    rules = []
    for rule in re.findall(r"@font-face\s*\{[^}]*\}", css):
        ranges = re.search(r"unicode-range:\s*([^;]+);", rule)
        kept = []
        for token in ranges.group(1).split(",") if ranges else []:
            low, _, high = token.strip().removeprefix("U+").partition("-")
            a, b = int(low, 16), int(high or low, 16)
            for start, end in HANGUL:
                lo, hi = max(a, start), min(b, end)
                if lo <= hi:
                    kept.append(f"U+{lo:x}" if lo == hi else f"U+{lo:x}-{hi:x}")
        if not kept:
            continue
        rule = re.sub(r"font-family:\s*[^;]+;", "font-family: 'vitlite KR';", rule)
        rule = re.sub(r"unicode-range:\s*[^;]+;", f"unicode-range: {','.join(kept)};", rule)
        rules.append(re.sub(r",\s*url\([^)]*\.woff\)\s*format\('woff'\)", "", rule))
    return "\n".join(rules)


def _chapter_page(source: Path, target: Path) -> None:
    """A copy of an executed chapter for the site: the Colab badge (an image from Colab's server) becomes
    a plain link, and a note after the title cell says how to run the explorers live."""
    nb = json.loads(source.read_text(encoding="utf-8"))
    first = "".join(nb["cells"][0]["source"])
    match = BADGE.search(first)
    colab = f"[open it on Colab]({match.group('url')})" if match else "Colab"
    nb["cells"][0]["source"] = BADGE.sub(lambda m: f"[Open in Colab]({m.group('url')})", first)
    note = {
        "cell_type": "markdown",
        "id": "vitlite-site-note",
        "metadata": {},
        "source": LIVE_NOTE.replace("{colab}", colab),
    }
    nb["cells"].insert(1, note)
    nb.get("metadata", {}).pop("widgets", None)
    target.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")


def front_page(stems: list[str] | None = None) -> str:
    """The site's index: what the course is, the chapter table with runtimes, the ledger's counts, how to run it."""
    runtimes_file = ROOT / "assets" / "runtimes.json"
    runtimes = json.loads(runtimes_file.read_text()) if runtimes_file.exists() else {}
    from vitlite.recipes import claims

    rows = claims.verdicts()
    counts = {
        kind: sum(r.verdict == kind for r in rows)
        for kind in ("held", "held, not robust", "inconclusive", "did not hold", "no record")
    }
    lines = [
        "# vitlite · vision transformers from scratch",
        "",
        "Ten chapters, each building one vision-transformer paper from scratch in PyTorch, proving it equal to a",
        "reference implementation or to the paper's published size, and testing the paper's claims in miniature",
        "on a laptop CPU, offline. One chapter a week, in a study group's order.",
        "",
        "| # | chapter | paper | CPU runtime |",
        "|---|---|---|---|",
    ]
    stems = stems or list(CHAPTER_TITLES)
    for stem in stems:
        topic, paper = CHAPTER_TITLES[stem]
        seconds = runtimes.get(stem)
        lines.append(f"| {stem[:2]} | [{topic}]({stem}.ipynb) | {paper} | {f'{seconds:.0f} s' if seconds else ''} |")
    tested = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)
    lines += [
        "",
        f"**The course's ledger.** {len(rows)} claims of the ten papers tested in miniature: {tested}. Each verdict",
        "follows one rule of evidence (chapter 02's methods box: thresholds fixed before the runs, three seeds",
        "paired, no verdict while a run that could reverse it was still improving); chapter 10's finale has the table.",
        "",
        "## How to run the course",
        "",
        f'- **JupyterLab:** from a clone of {repository_url()}, `python -m pip install -e ".[course]"` and',
        "  `jupyter lab chapters/`.",
        "- **Colab:** each chapter's *Open in Colab* link; its first code cell installs `vitlite`. A free CPU",
        "  runtime is enough.",
        "- **Conda:** `conda env create -f environment.yml && conda activate vitlite && jupyter lab chapters/`.",
        "",
        "These pages are the executed notebooks; the explorers (sliders and menus) run only in a live notebook.",
        "",
        "```{toctree}",
        ":hidden:",
        ":maxdepth: 1",
        "",
        *stems,
        "```",
        "",
    ]
    return "\n".join(lines)


RESOURCE = re.compile(
    r"""<(?:script|img|iframe|source|audio|video|embed)\b[^>]*\bsrc\s*=\s*["']?(?P<src>(?:https?:)?//[^"'\s>]+)"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?(?P<href>(?:https?:)?//[^"'\s>]+)"""
    r"""|url\(\s*["']?(?P<url>(?:https?:)?//[^"')\s]+)""",
    re.IGNORECASE,
)


def external_resources(site: Path) -> dict[str, list[str]]:
    """For each page, style sheet and script of a built site, the URLs it would load from another host
    (scripts, images, frames, style sheets, fonts, icons). Links a reader may follow (<a href>) are not
    resources and are not listed."""
    found: dict[str, list[str]] = {}
    for path in sorted(site.rglob("*")):
        if path.suffix not in (".html", ".css") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        hits = sorted({next(g for g in m.groups() if g) for m in RESOURCE.finditer(text)})
        link_tags = re.findall(r"<link\b[^>]*>", text, re.IGNORECASE) if path.suffix == ".html" else []
        hits = [
            h
            for h in hits
            if not any(h in tag and re.search(r"rel=[\"']?(?:canonical|alternate)", tag) for tag in link_tags)
        ]
        if hits:
            found[str(path.relative_to(site))] = hits
    return found


def build(
    out: Path | None = None,
    npm_cache: Path | None = None,
    chapters: list[str] | None = None,
    quiet: bool = True,
    fetch: bool = True,
) -> Path:
    """Build the site into ``out`` (default ``build/site``) from ``chapters/*.ipynb`` as they are stored;
    returns ``out``. Raises SystemExit with one line when Sphinx or npm is missing (with ``fetch=False``,
    :class:`MissingVendor` when the npm cache lacks a package), and when a page would load anything from
    another host."""
    for module in ("sphinx", "myst_nb", "sphinx_book_theme"):
        _need(module)
    from sphinx.cmd.build import build_main

    out = Path(out or ROOT / "build" / "site").resolve()
    npm_cache = Path(npm_cache or ROOT / "build" / "npm").resolve()
    stems = chapters or list(CHAPTER_TITLES)
    unknown = [s for s in stems if s not in CHAPTER_TITLES]
    if unknown:
        raise SystemExit(f"unknown chapters {unknown}; choose among {list(CHAPTER_TITLES)}")
    src = out.parent / f"{out.name}-source"
    for folder in (src, out):
        if folder.exists():
            shutil.rmtree(folder)
    (src / "_static").mkdir(parents=True)
    _vendor(src / "_static", npm_cache, fetch)
    (src / "conf.py").write_text(CONF)
    (src / "index.md").write_text(front_page(stems), encoding="utf-8")
    for stem in stems:
        notebook = ROOT / "chapters" / f"{stem}.ipynb"
        if not notebook.exists():
            raise SystemExit(f"{notebook} is missing: run python -m vitlite.bench --write {stem[:2]} first")
        _chapter_page(notebook, src / f"{stem}.ipynb")
    status = build_main([*(["-q"] if quiet else []), "-b", "html", "-d", str(src / ".doctrees"), str(src), str(out)])
    if status != 0:
        raise SystemExit(f"sphinx-build failed (status {status}); rerun with --verbose to see why")
    external = external_resources(out)
    if external:
        raise SystemExit(f"pages load resources from other hosts, which the site must serve itself: {external}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vitlite.site", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=None, help="where to write the site (default: build/site)")
    parser.add_argument(
        "--npm-cache", type=Path, default=None, help="where npm packages are kept between builds (default: build/npm)"
    )
    parser.add_argument("--verbose", action="store_true", help="show Sphinx's output")
    args = parser.parse_args(argv)
    out = build(args.out, args.npm_cache, quiet=not args.verbose)
    print(f"site built: {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
