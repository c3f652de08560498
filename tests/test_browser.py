"""Chapter 04 in JupyterLab, in a real browser: Run All, no cell shows an error, and dragging the
shifted-window explorer's shift slider redraws its figure.

JupyterLab runs headless on localhost, on a copy of the notebook in a temporary folder (so autosave
never touches the checkout), and is stopped afterwards. Debian's Chromium is driven by Playwright with
the system browser, since Playwright's own browser download is not available. Without Chromium the
test skips with one line. It runs after every other test (see conftest.py).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = "04_swin.ipynb"
CHROMIUM = os.environ.get("VITLITE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RUN_ALL_TIMEOUT_S = 600

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on localhost serving a copy of the chapter; yields its URL, stops it afterwards."""
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"browser test skipped: no Chromium at {CHROMIUM} (apt-get install chromium, or set VITLITE_CHROMIUM)"
        )
    pytest.importorskip(
        "playwright", reason="browser test skipped: playwright is not installed (pip install playwright)"
    )
    pytest.importorskip("jupyterlab", reason="browser test skipped: jupyterlab is not installed")
    work = tmp_path / "notebooks"
    work.mkdir()
    shutil.copy2(ROOT / "chapters" / CHAPTER, work / CHAPTER)
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k != "VITLITE_HEADLESS"}  # live widgets, as a learner sees them
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
    )
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={work}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--ServerApp.shutdown_no_activity_timeout=900",
            "--LabApp.extension_manager=readonly",
            "--allow-root",
        ],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"JupyterLab did not start:\n{(tmp_path / 'lab.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield f"{url}/lab/tree/{CHAPTER}?token={token}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


NOTEBOOK_STATE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext.session) return null;
  const cells = [];
  const model = panel.content.model;
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type !== 'code') continue;
    const outputs = cell.outputs.toJSON();
    cells.push({count: cell.executionCount, errors: outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue)});
  }
  const kernel = panel.sessionContext.session.kernel;
  return {cells: cells, kernel: kernel ? kernel.status : 'none'};
}"""


def _settled_box(locator, timeout_s: float = 20.0) -> dict:
    """The element's bounding box once it has stopped moving (two reads 0.5 s apart agree)."""
    box, deadline = locator.bounding_box(), time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        time.sleep(0.5)
        again = locator.bounding_box()
        if again == box:
            return box
        box = again
    return box


def test_chapter_04_in_jupyterlab(lab, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(lab, timeout=120_000)
            page.wait_for_function(
                "() => window.jupyterapp && window.jupyterapp.shell.currentWidget && window.jupyterapp.shell.currentWidget.sessionContext && window.jupyterapp.shell.currentWidget.sessionContext.session && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
                timeout=120_000,
            )
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")

            deadline, state = time.monotonic() + RUN_ALL_TIMEOUT_S, None
            while time.monotonic() < deadline:
                state = page.evaluate(NOTEBOOK_STATE)
                done = state and state["kernel"] == "idle" and all(c["count"] is not None for c in state["cells"])
                errors = [e for c in (state or {"cells": []})["cells"] for e in c["errors"]]
                assert not errors, f"a cell shows an error: {errors}"
                if done:
                    break
                time.sleep(2)
            else:
                pytest.fail(f"Run All did not finish within {RUN_ALL_TIMEOUT_S} s: {state}")

            slider = (
                page.locator(".widget-slider, .widget-hslider")
                .filter(has=page.locator(".widget-label", has_text="shift"))
                .first
            )
            slider.scroll_into_view_if_needed()
            output = page.locator(".jp-Cell").filter(has=slider).locator(".jp-OutputArea-output img").first
            output.wait_for(timeout=60_000)
            before = output.get_attribute("src")
            readout = slider.locator(".widget-readout").first
            value_before = readout.inner_text().strip()

            handle = slider.locator(".noUi-handle, .ui-slider-handle").first
            for attempt in range(3):  # figures above may still be laying out and move the slider: drag where it is now
                slider.scroll_into_view_if_needed()
                box = _settled_box(handle)
                track = slider.locator(".noUi-target, .ui-slider").first.bounding_box()
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                page.mouse.down()
                page.mouse.move(track["x"] - 20, box["y"] + box["height"] / 2, steps=12)  # all the way left: shift 0
                page.mouse.up()
                time.sleep(1)
                if readout.inner_text().strip() != value_before:
                    break
            else:
                page.screenshot(path=str(tmp_path / "slider.png"))

            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and output.get_attribute("src") == before:
                time.sleep(0.5)
            value_after = readout.inner_text().strip()
            assert value_after != value_before, (
                f"the slider did not move (readout {value_before} -> {value_after}); screenshot: {tmp_path / 'slider.png'}"
            )
            assert output.get_attribute("src") != before, (
                f"dragging the shift slider ({value_before} -> {value_after}) did not change the figure"
            )
            state = page.evaluate(NOTEBOOK_STATE)
            assert not [e for c in state["cells"] for e in c["errors"]]
        finally:
            browser.close()


# ---------------------------------------------------------------- the website, in the same browser
@pytest.fixture
def served_site(tmp_path):
    """The site built from the stored notebooks (no npm fetch: .ci/run fetched MathJax and the font
    before the tests), served on localhost; yields the base URL."""
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"browser test skipped: no Chromium at {CHROMIUM} (apt-get install chromium, or set VITLITE_CHROMIUM)"
        )
    pytest.importorskip(
        "playwright", reason="browser test skipped: playwright is not installed (pip install playwright)"
    )
    pytest.importorskip("sphinx", reason="site test skipped: pip install -e '.[site]'")
    from vitlite import site
    from vitlite.slides import serve_folder

    try:
        out = site.build(tmp_path / "site", fetch=False)
    except site.MissingVendor as missing:
        pytest.skip(str(missing))
    server = serve_folder(out)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_site_chapter_page_shows_a_figure_an_equation_and_the_korean_card(served_site):
    from playwright.sync_api import sync_playwright

    requested = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.on("request", lambda request: requested.append(request.url))
            page.goto(f"{served_site}/{CHAPTER.replace('.ipynb', '.html')}", timeout=60_000)
            page.wait_for_selector("mjx-container", timeout=60_000)  # MathJax, served by the site, typeset the equation
            assert page.locator("mjx-container").count() >= 1
            figure = page.locator("main img[src*='_images/']").first
            figure.scroll_into_view_if_needed()
            page.wait_for_function(
                "(img) => img.complete && img.naturalWidth > 100", arg=figure.element_handle(), timeout=30_000
            )
            card = page.locator("main h2", has_text="스터디 카드").first
            card.scroll_into_view_if_needed()
            assert card.is_visible()
            page.evaluate("() => document.fonts.ready")
            for weight in (400, 700):  # regular text and bold headers
                korean = page.evaluate(
                    f"""async () => {{ await document.fonts.load('{weight} 16px "vitlite KR"', '스터디 카드 한국어'); return document.fonts.check('{weight} 16px "vitlite KR"', '스터디 카드 한국어'); }}"""
                )
                assert korean, f"the site's Korean web font (weight {weight}) did not load"
            family = page.evaluate(
                """() => getComputedStyle([...document.querySelectorAll('main th')].find(t => t.textContent.includes('한국어'))).fontFamily"""
            )
            assert family.startswith('"vitlite KR"'), (
                f"Korean table headers are not drawn with the site's font: {family}"
            )
            if os.environ.get("VITLITE_SCREENSHOT"):  # a picture of the card for a maintainer to look at
                page.screenshot(path=os.environ["VITLITE_SCREENSHOT"])
        finally:
            browser.close()
    foreign = [url for url in requested if not url.startswith(served_site) and not url.startswith("data:")]
    assert not foreign, f"the page asked other hosts for {foreign[:5]}"
