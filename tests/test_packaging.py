"""A plain `pip install .` ships the profiles, templates and example, and the demo runs from it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # build from a copy: setuptools writes build/ and *.egg-info into the source tree
    src = tmp_path_factory.mktemp("src") / "salessheet"
    shutil.copytree(
        REPO,
        src,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "build",
            "dist",
            "*.egg-info",
            "__pycache__",
            ".pytest_cache",
            ".ruff_cache",
            ".mypy_cache",
        ),
    )
    res = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if res.returncode != 0:
        pytest.fail(f"pip wheel failed:\n{res.stdout}\n{res.stderr}")
    (path,) = out.glob("salessheet-*.whl")
    return path


def test_wheel_ships_data_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "salessheet/config/b2b.yaml",
        "salessheet/config/b2c.yaml",
        "salessheet/config/lite.yaml",
        "salessheet/examples/pipeline.xlsx",
        "salessheet/examples/maven.yaml",
        "salessheet/cli/__init__.py",
        "salessheet/__main__.py",
        "salessheet/py.typed",
    ):
        assert required in names, required
    # dev scripts stay in the checkout, not in the installed package
    assert not any(n.endswith(("make_examples.py", "build_docx_templates.py")) for n in names)
    templates = [n for n in names if n.startswith("salessheet/templates/")]
    assert any(n.endswith(".html") for n in templates)
    # the analytics report's templates: every one in the checkout is in the wheel
    report = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "templates/report").glob("*"))
    assert report and all(f"salessheet/{name}" in names for name in report), report
    assert not any("/tests/" in n or n.startswith("tests/") for n in names)


def test_installed_demo_runs_from_any_folder(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    res = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from salessheet.cli import main; sys.exit(main())",
            "demo",
            "--out",
            str(work / "tour"),
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert "illegal-transition" in res.stdout and "backward-transition" in res.stdout
    assert (work / "tour" / "pipeline.xlsx").exists()
    installed_example = target / "salessheet" / "examples" / "pipeline.xlsx"
    assert installed_example.read_bytes() == (REPO / "examples" / "pipeline.xlsx").read_bytes()
    # it ran the installed copy, not the checkout
    probe = subprocess.run(
        [sys.executable, "-c", "import salessheet; print(salessheet.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert probe.stdout.strip().startswith(str(target))
