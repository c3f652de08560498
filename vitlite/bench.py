"""The benchmark: run each chapter top to bottom, print wall times and ShapesWorld throughput.

    python -m vitlite.bench                 # every chapter, nothing written
    python -m vitlite.bench 01 02           # some chapters
    python -m vitlite.bench --write 01      # also store the executed notebook (and its .py twin),
                                            # its runtime line, the README table and assets/runtimes.json
    python -m vitlite.bench --write --busy 01   # store the executed notebook but keep its recorded runtime
                                            # (the machine is busy training: its time would mislead)
    python -m vitlite.bench --data-only     # just the data throughput

Chapters run headless (``VITLITE_HEADLESS=1``) in a fresh kernel each, as CI runs them.
Needs the ``dev`` extra (nbclient, jupytext).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
RUNTIMES = ROOT / "assets" / "runtimes.json"
README = ROOT / "README.md"
RUNTIME_LINE = re.compile(r"^\*\*Runtime:\*\*.*$", re.MULTILINE)
TABLE_START, TABLE_END = "<!-- chapter-table:start -->", "<!-- chapter-table:end -->"
BUDGET_S = 180.0


def chapter_files(selection: list[str] | None = None) -> list[Path]:
    """The chapters' .py twins, in order; ``selection`` filters by number prefix ("01") or stem."""
    files = sorted(CHAPTERS.glob("[0-9][0-9]_*.py"))
    if not files:
        raise SystemExit(f"no chapters under {CHAPTERS}; run the benchmark from a checkout of the course")
    if selection:
        files = [f for f in files if any(f.stem == s or f.stem.startswith(s + "_") for s in selection)]
        if not files:
            raise SystemExit(
                f"no chapter matches {selection}; chapters are {[f.stem for f in sorted(CHAPTERS.glob('[0-9][0-9]_*.py'))]}"
            )
    return files


def data_throughput(sizes: tuple[int, ...] = (32, 64), n: int = 4096) -> dict[str, float]:
    """Images per second that ShapesWorld renders, per image size and task."""
    from vitlite.data import TASKS, ShapesWorld

    results = {}
    for size in sizes:
        world = ShapesWorld(image_size=size)
        world.detection(256)  # warm up
        for task in TASKS:
            start = time.perf_counter()
            world.dataset(task, n)
            results[f"{task}@{size}"] = n / (time.perf_counter() - start)
    return results


def execute(py_file: Path, write: bool, keep_runtime: bool = False) -> float:
    """Run one chapter in a fresh kernel; return its wall time in seconds. Raises on a failing cell.
    With ``keep_runtime`` the notebook keeps the runtime recorded in ``assets/runtimes.json``."""
    import jupytext
    from nbclient import NotebookClient

    nb = jupytext.read(py_file)
    os.environ["VITLITE_HEADLESS"] = "1"
    client = NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(CHAPTERS)}},
        store_widget_state=False,
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    if write:
        recorded = json.loads(RUNTIMES.read_text()).get(py_file.stem) if keep_runtime and RUNTIMES.exists() else None
        if keep_runtime and recorded is None:
            raise ValueError(
                f"{py_file.stem}: --busy keeps a recorded runtime, and this chapter has none yet; measure it on a quiet machine"
            )
        _stamp_runtime(nb, recorded if keep_runtime else seconds)
        nb.metadata.pop("widgets", None)
        jupytext.write(nb, py_file.with_suffix(".ipynb"))
        jupytext.write(nb, py_file, fmt="py:percent")
    return seconds


def runtime_text(seconds: float) -> str:
    return f"**Runtime:** about {seconds:.0f} s on a 2-core CPU ({_cpu_name()}), measured by `python -m vitlite.bench`."


def _stamp_runtime(nb, seconds: float) -> None:
    first = nb.cells[0]
    if first.cell_type != "markdown" or not RUNTIME_LINE.search(first.source):
        raise ValueError("the first cell of a chapter must be markdown with a '**Runtime:**' line")
    first.source = RUNTIME_LINE.sub(runtime_text(seconds), first.source)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip().split(" @")[0]
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _update_records(measured: dict[str, float]) -> dict[str, float]:
    records = json.loads(RUNTIMES.read_text()) if RUNTIMES.exists() else {}
    records.update({stem: round(sec, 1) for stem, sec in measured.items()})
    RUNTIMES.write_text(json.dumps(dict(sorted(records.items())), indent=2) + "\n")
    return records


def readme_table(records: dict[str, float]) -> str:
    """The README's chapter table, from the recorded runtimes."""
    from vitlite.course import CHAPTER_TITLES, colab_url

    rows = ["| # | chapter | paper | open | CPU runtime |", "|---|---|---|---|---|"]
    for stem, (topic, paper) in CHAPTER_TITLES.items():
        number = stem[:2]
        exists = (CHAPTERS / f"{stem}.ipynb").exists()
        link = f"[{topic}](chapters/{stem}.ipynb)" if exists else f"{topic} (planned)"
        badge = (
            f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(stem)})"
            if exists
            else ""
        )
        runtime = f"{records[stem]:.0f} s" if stem in records else "not measured"
        rows.append(f"| {number} | {link} | {paper} | {badge} | {runtime} |")
    total = sum(records.values())
    complete = all(stem in records for stem in CHAPTER_TITLES)
    rows.append(
        f"\nWhole course{'' if complete else ' so far'}: {total:.0f} s of the 25-minute budget, each chapter within {BUDGET_S:.0f} s."
    )
    return "\n".join(rows)


def _update_readme(records: dict[str, float]) -> None:
    text = README.read_text()
    if TABLE_START not in text or TABLE_END not in text:
        raise ValueError(f"README.md needs the markers {TABLE_START} and {TABLE_END}")
    head, rest = text.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    README.write_text(f"{head}{TABLE_START}\n{readme_table(records)}\n{TABLE_END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vitlite.bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("chapters", nargs="*", help="chapter numbers or stems (default: all)")
    parser.add_argument("--write", action="store_true", help="store executed notebooks, runtimes and the README table")
    parser.add_argument(
        "--busy",
        action="store_true",
        help="with --write: keep the recorded runtimes (the machine is busy; its times would mislead)",
    )
    parser.add_argument("--data-only", action="store_true", help="only measure ShapesWorld throughput")
    args = parser.parse_args(argv)

    print(
        f"vitlite bench: torch {torch.__version__}, {torch.get_num_threads()} threads, {_cpu_name()}, python {platform.python_version()}"
    )
    print("\nShapesWorld throughput (images/s):")
    for key, rate in data_throughput().items():
        print(f"  {key:<22} {rate:>8.0f}")
    if args.data_only:
        return 0

    measured: dict[str, float] = {}
    failed = []
    print(f"\n{'chapter':<40} {'seconds':>8}  budget {BUDGET_S:.0f} s")
    for py_file in chapter_files(args.chapters):
        try:
            seconds = execute(py_file, args.write, keep_runtime=args.busy)
        except Exception as error:  # report and go on with the other chapters
            failed.append(py_file.stem)
            lines = [line for line in str(error).splitlines() if line.strip()]
            print(f"{py_file.stem:<40} {'FAILED':>8}  {type(error).__name__}")
            print("\n".join("    " + line for line in lines[-15:]))  # the end of the traceback names the cause
            continue
        measured[py_file.stem] = seconds
        flag = "" if seconds <= BUDGET_S else "  OVER BUDGET"
        print(f"{py_file.stem:<40} {seconds:>8.1f}{flag}")
    if measured:
        print(f"{'total':<40} {sum(measured.values()):>8.1f}")
    if args.write and measured and not args.busy:
        records = _update_records(measured)
        _update_readme(records)
        print(f"\nwrote {', '.join(measured)}; runtimes in {RUNTIMES.relative_to(ROOT)}; README table updated")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
