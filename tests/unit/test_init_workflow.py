"""Which workflow ``seedgate init`` writes: what the command imports against the image."""

from __future__ import annotations

from pathlib import Path

from seedgate.planning.workflow import (
    IMAGE_DISTRIBUTIONS,
    imported_modules,
    normalise,
    project_needs,
    requirement_names,
)
from seedgate.report.init_screen import CONTAINER_STEP, workflow_screen, workflow_steps

REPO = Path(__file__).resolve().parents[2]
SKLEARN_SCRIPT = """\
import json, os
from pathlib import Path
import numpy as np
from sklearn.ensemble import RandomForestClassifier
from helpers import load
def main():
    import lightgbm.sklearn
    from . import sibling
"""


def test_the_image_list_is_constraints_txt() -> None:
    text = (REPO / "constraints.txt").read_text(encoding="utf-8")
    image = text.split("# --- not in the image")[0]  # the lines the Dockerfile installs
    pinned = {normalise(line.split("==")[0]) for line in image.splitlines() if "==" in line}
    assert {normalise(d) for d in IMAGE_DISTRIBUTIONS} == pinned


def test_imports_are_read_top_level_and_nested_without_relative_ones() -> None:
    found = imported_modules(SKLEARN_SCRIPT)
    assert found == {"json", "os", "pathlib", "numpy", "sklearn", "helpers", "lightgbm"}
    assert imported_modules("this is not python(") == set()


def test_a_script_needing_scikit_learn_gets_the_host_action(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(SKLEARN_SCRIPT)
    (tmp_path / "src" / "helpers.py").write_text("")
    needs = project_needs("cd . && python src/train.py --seed {seed}", tmp_path)
    assert needs.missing == ("lightgbm", "scikit-learn")  # numpy is in the image
    assert needs.scripts == ("src/train.py",)
    assert needs.host
    steps = workflow_steps(needs)
    assert steps[0] == "- uses: actions/setup-python@v6"
    assert "- run: pip install lightgbm scikit-learn" in steps
    assert "- uses: seedgate/seedgate-action/host@v1" in steps
    screen = workflow_screen(needs, width=80)
    assert max(len(line) for line in screen.splitlines()) <= 80
    flat = " ".join(screen.split())
    assert "src/train.py needs lightgbm, scikit-learn, which the container action's image" in flat
    assert "`install: pip install lightgbm scikit-learn`" in flat


def test_requirements_are_read_and_installed_from_the_file(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("import tensorflow as tf\nimport keras\n")
    (tmp_path / "requirements.txt").write_text(
        "# pinned\n-c constraints.txt\ntensorflow-cpu==2.21.0\nTorch>=2 ; python_version>'3'\n"
    )
    needs = project_needs("python train.py", tmp_path)
    assert needs.missing == ("torch",)
    assert "- run: pip install -r requirements.txt" in workflow_steps(needs)


def test_a_script_the_image_can_run_gets_the_container_action(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("import numpy, scipy.stats\nimport tensorflow as tf\n")
    needs = project_needs("python train.py", tmp_path)
    assert not needs.host
    assert workflow_steps(needs) == CONTAINER_STEP
    assert "The container action fits" in workflow_screen(needs, width=80)


def test_requirement_names_skip_options_and_comments() -> None:
    text = "-r base.txt\n  scikit_learn[all]==1.5  # ml\n\n--index-url x\nPyYAML\n"
    assert requirement_names(text) == {"scikit-learn", "pyyaml"}
