"""seedgate as a package: the wheel and sdist build, hold their data, and install and run.

The build runs without isolation (no index needed: setuptools and build come from the dev
extras) on a copy of the files an sdist is made from, so nothing is written into the
checkout. The wheel goes into a fresh virtualenv that sees this interpreter's dependencies
(numpy, scipy, ...) through a ``.pth`` line, so nothing is downloaded either; a ``.pth``
line does not run the ``.pth`` files of the folder it names, so a development install of
seedgate there stays out of the way.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    p.name for p in (ROOT / "src" / "seedgate" / "report" / "templates").glob("*.j2")
)
# One metric that moves with the seed, by the experiment contract's last-JSON-line rule.
EXPERIMENT = (
    "import os; seed = int(os.environ['SEEDGATE_SEED']); "
    "print('{\"accuracy\": %s}' % (0.9 + (seed % 3) / 100))"
)


def run(args: list[str | Path], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and "SEEDGATE" not in k}
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("tree")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, tree / name)
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    shutil.copytree(ROOT / "src", tree / "src", ignore=skip)
    out = tmp_path_factory.mktemp("dist")
    # sdist first, then the wheel built from the unpacked sdist: both must be complete.
    done = run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, tree], cwd=tree)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def only(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def test_the_wheel_holds_the_templates_the_marker_and_the_licence(dist: Path) -> None:
    wheel = only(dist, "seedgate-*-py3-none-any.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert TEMPLATES, "no report templates found in the checkout"
    assert {f"seedgate/report/templates/{t}" for t in TEMPLATES} <= names
    assert "seedgate/py.typed" in names
    info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
    assert f"{info}/licenses/LICENSE" in names
    metadata = zipfile.ZipFile(wheel).read(f"{info}/METADATA").decode()
    assert "License-Expression: MIT" in metadata.splitlines()
    entry_points = zipfile.ZipFile(wheel).read(f"{info}/entry_points.txt").decode()
    assert "seedgate = seedgate.cli.main:main" in entry_points
    assert not any(n.startswith(("tests/", "examples/", "benchmarks/")) for n in names)


def test_the_sdist_holds_what_the_wheel_is_built_from(dist: Path) -> None:
    sdist = only(dist, "seedgate-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"pyproject.toml", "README.md", "LICENSE", "src/seedgate/py.typed"} <= names
    assert {f"src/seedgate/report/templates/{t}" for t in TEMPLATES} <= names


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(with_pip=False).create(home)
    python = home / "bin" / "python"
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], home)
    site = Path(purelib.stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    wheel = only(dist, "seedgate-*-py3-none-any.whl")
    pip: list[str | Path] = [
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        "--no-index",
    ]
    done = run([*pip, wheel], cwd=home)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return home


def test_the_installed_package_is_the_wheel(installed: Path) -> None:
    code = "import seedgate; print(seedgate.__file__)"
    done = run([installed / "bin" / "python", "-c", code], cwd=installed)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(installed)


def test_the_installed_cli_runs_gates_and_renders(installed: Path, tmp_path: Path) -> None:
    seedgate = installed / "bin" / "seedgate"
    done = run([seedgate, "--help"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "baseline" in done.stdout
    assert "gate" in done.stdout
    command = ["--", "python", "-c", EXPERIMENT]
    for name in ("a.json", "b.json"):
        done = run([seedgate, "run", "--runs", "3", "--out", name, *command], cwd=tmp_path)
        assert done.returncode == 0, done.stderr[-3000:]
    runset = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert [r["metrics"]["accuracy"] for r in runset["runs"]] == [0.9, 0.91, 0.92]
    # The report comes from the templates inside the installed wheel.
    done = run([seedgate, "compare", "a.json", "b.json", "--out", "report.md"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "accuracy" in report
    assert "no-change" in report.lower() or "inconclusive" in report.lower()
