"""The test suite's own rules (tests/conftest.py): under CI no test may skip quietly, chapters carry the
``notebook`` marker, and each chapter's time under nbval is printed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _run(tmp_path: Path, body: str, strict: bool) -> subprocess.CompletedProcess:
    shutil.copy(HERE / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_sample.py").write_text(body)
    (tmp_path / "test_other.py").write_text("def test_b():\n    pass\n")  # something that runs, beside the skip
    env = {**os.environ, "VITLITE_STRICT_SKIPS": "1" if strict else "0"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:nbval", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "body",
    [
        "import pytest\npytest.importorskip('no_such_module_for_vitlite')\n\ndef test_a():\n    pass\n",  # a module-level skip (a reference test)
        "import pytest\n\ndef test_a():\n    pytest.skip('no manifest')\n",  # a skip inside a test
    ],
)
def test_a_quiet_skip_fails_under_ci_and_passes_otherwise(tmp_path, body):
    assert _run(tmp_path, body, strict=False).returncode == 0
    strict = _run(tmp_path, body, strict=True)
    assert strict.returncode == 1, strict.stdout[-800:]
    assert "skips refused (VITLITE_STRICT_SKIPS=1)" in strict.stdout


def test_a_skip_for_missing_hardware_is_allowed_under_ci(tmp_path):
    body = "import pytest\n\n@pytest.mark.skipif(True, reason='needs CUDA')\ndef test_a():\n    pass\n"
    result = _run(tmp_path, body, strict=True)
    assert result.returncode == 0, result.stdout[-800:]


def test_a_failing_test_still_fails_under_ci(tmp_path):
    assert _run(tmp_path, "def test_a():\n    assert False\n", strict=True).returncode == 1


def test_ci_sets_the_strict_skip_flag_and_pytest_a_cell_timeout():
    ci = (HERE.parent / ".ci" / "run").read_text()
    assert "VITLITE_STRICT_SKIPS=1" in ci
    assert "--nbval-cell-timeout=" in (HERE.parent / "pyproject.toml").read_text()


def test_every_explorer_is_exported():
    import inspect

    from vitlite import explore

    defined = {
        name
        for name, obj in inspect.getmembers(explore, inspect.isfunction)
        if name.endswith("_explorer") and obj.__module__ == explore.__name__
    }
    assert defined and defined <= set(explore.__all__), (
        f"missing from explore.__all__: {sorted(defined - set(explore.__all__))}"
    )


def test_environment_yml_lists_no_dependency_twice():
    """Conda brings Python and PyTorch; the rest comes from pyproject.toml through pip."""
    text = (HERE.parent / "environment.yml").read_text()
    listed = [
        line.strip()[2:] for line in text.partition("dependencies:")[2].splitlines() if line.strip().startswith("- ")
    ]
    assert [entry.split(">")[0].split("=")[0] for entry in listed] == ["python", "pytorch", "pip", "pip:", "-e .[dev]"]


def test_no_heading_is_hidden_in_a_code_cell():
    """A '# %% [markdown]' marker lost in a chapter's twin turns the next section's heading and prose into
    comments of a code cell: the section vanishes from the rendered notebook, the site and the slides."""
    import json
    import re

    hidden = []
    for path in sorted((HERE.parent / "chapters").glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                hidden += [
                    f"{path.name}: {line[:60]}"
                    for line in "".join(cell["source"]).splitlines()
                    if re.match(r"# #{1,4} \S", line)
                ]
    assert not hidden, hidden
