"""The course as Colab installs it: from a built wheel, in a fresh virtual environment, with no checkout in reach.

The wheel is built from a copy of the package's sources (nothing is written into the checkout) without
build isolation, so no network is needed. The fresh environment gets the wheel itself; its dependencies
(torch, matplotlib, ...) are borrowed from the environment running the tests through a ``.pth`` file,
which adds their folders to ``sys.path`` without running the editable-install hook that lives there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("vitlite", "assets", "pyproject.toml", "README.md", "LICENSE")
CHAPTER = "03_t2t_vit"  # the quickest chapter that loads recipe checkpoints (see assets/runtimes.json)

pytest.importorskip("setuptools", minversion="77")
pytestmark = pytest.mark.slow  # builds and installs the wheel, and runs a chapter from it


def _run(
    cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        raise AssertionError(
            f"{' '.join(map(str, cmd))} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    dist = tmp / "dist"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(dist),
            str(src),
        ],
        cwd=tmp,
    )
    (wheel,) = dist.glob("vitlite-*.whl")

    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)],
        cwd=tmp,
    )
    site = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp).stdout.strip()
    )
    borrowed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_borrowed_dependencies.pth").write_text("\n".join(sorted(borrowed)) + "\n")

    away = tmp / "elsewhere"  # a working directory with no checkout above it
    away.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(
        MPLBACKEND="Agg", VITLITE_HEADLESS="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONNOUSERSITE="1"
    )
    return {"wheel": wheel, "python": python, "site": site, "cwd": away, "env": env, "tmp": tmp}


def test_wheel_ships_every_asset(wheel_env):
    names = set(zipfile.ZipFile(wheel_env["wheel"]).namelist())
    tracked = [p for p in (ROOT / "assets").rglob("*") if p.is_file() and p.suffix in (".pt", ".json", ".jpg", ".md")]
    assert tracked
    missing = [
        str(p.relative_to(ROOT))
        for p in tracked
        if "vitlite/_assets/" + str(p.relative_to(ROOT / "assets")).replace(os.sep, "/") not in names
    ]
    assert not missing, f"the wheel lacks {missing}: declare their folders in pyproject.toml"


def test_installed_wheel_loads_every_photo_and_checkpoint(wheel_env):
    script = textwrap.dedent(
        """
        import json, sys
        from pathlib import Path
        import vitlite
        from vitlite import recipes
        from vitlite.assets import asset_path
        from vitlite.data import list_photos, photo

        root = asset_path("photos").parent
        report = {"vitlite": vitlite.__file__, "root": str(root), "photos": {}, "checkpoints": {}}
        for name in list_photos():
            report["photos"][name] = list(photo(name, size=64).shape)
        for folder in sorted((root / "checkpoints").iterdir()):
            if not (folder / "manifest.json").exists():  # a study still running has records but no manifest yet
                continue
            for file in recipes.checkpoint_files(folder.name):  # pilots keep records only
                model, meta = recipes.load_checkpoint(folder.name, file)
                report["checkpoints"][f"{folder.name}/{file}"] = sum(p.numel() for p in model.parameters())
        print(json.dumps(report))
        """
    )
    out = _run([str(wheel_env["python"]), "-c", script], cwd=wheel_env["cwd"], env=wheel_env["env"]).stdout
    report = json.loads(out.strip().splitlines()[-1])
    site = str(wheel_env["site"])
    assert report["vitlite"].startswith(site), (
        f"imported vitlite from {report['vitlite']}, not from the wheel in {site}"
    )
    assert report["root"].startswith(site), f"assets found at {report['root']}, not in the installed wheel"
    photos = sorted(p.stem for p in (ROOT / "assets" / "photos").glob("*.jpg"))
    assert sorted(report["photos"]) == photos and all(shape == [3, 64, 64] for shape in report["photos"].values())
    listed = sorted(
        f"{m.parent.name}/{run['checkpoint']}"
        for m in (ROOT / "assets" / "checkpoints").glob("*/manifest.json")
        for run in json.loads(m.read_text())["runs"]
        if "checkpoint" in run
    )
    assert listed and sorted(report["checkpoints"]) == listed
    assert all(count > 0 for count in report["checkpoints"].values())


def test_installed_wheel_runs_a_chapter(wheel_env):
    """The chapter runs from a folder of its own, in a kernel of the fresh environment, as on Colab."""
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    python, env, cwd = wheel_env["python"], wheel_env["env"], wheel_env["cwd"]
    _run(
        [str(python), "-m", "ipykernel", "install", "--prefix", str(python.parent.parent), "--name", "vitlite-wheel"],
        cwd=cwd,
        env=env,
    )
    shutil.copy2(ROOT / "chapters" / f"{CHAPTER}.ipynb", cwd / f"{CHAPTER}.ipynb")
    script = textwrap.dedent(
        f"""
        import nbformat
        from nbclient import NotebookClient
        nb = nbformat.read("{CHAPTER}.ipynb", as_version=4)
        NotebookClient(nb, timeout=600, kernel_name="vitlite-wheel", resources={{"metadata": {{"path": "."}}}}).execute()
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        assert not errors, errors
        print("cells run:", sum(c.cell_type == "code" for c in nb.cells))
        """
    )
    out = _run([str(python), "-c", script], cwd=cwd, env=env, timeout=900).stdout
    assert "cells run:" in out
