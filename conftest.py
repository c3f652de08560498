"""Root-level pytest hooks, which see the chapters' nbval items as well as tests/ (tests/conftest.py holds
the rest): each chapter's time under nbval, printed at the end of a run (CI's log keeps it)."""

from __future__ import annotations

_chapter_seconds: dict[str, float] = {}


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        chapter = path.rsplit("/", 1)[-1].removesuffix(".ipynb")
        _chapter_seconds[chapter] = _chapter_seconds.get(chapter, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter):
    if _chapter_seconds:
        terminalreporter.section("chapter times under nbval (all phases of every cell)")
        for chapter, seconds in sorted(_chapter_seconds.items()):
            terminalreporter.write_line(f"{chapter:<40} {seconds:7.1f} s")
        terminalreporter.write_line(f"{'all chapters':<40} {sum(_chapter_seconds.values()):7.1f} s")
