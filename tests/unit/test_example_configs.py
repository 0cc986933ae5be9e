"""The bundled examples' config files run their own script wherever they are given from."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from seedgate.config.settings import load_config

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted((ROOT / "examples").glob("*/seedgate.toml"))


def test_every_example_has_a_config() -> None:
    assert {path.parent.name for path in CONFIGS} == {"mnist", "sklearn"}


@pytest.mark.parametrize("config", CONFIGS, ids=lambda path: path.parent.name)
def test_the_command_finds_its_script_from_the_repository_root(config: Path) -> None:
    loaded = load_config({}, config_path=config.relative_to(ROOT), root=ROOT)
    scripts = [word for word in shlex.split(loaded.command) if word.endswith(".py")]
    assert scripts, loaded.command
    assert (ROOT / loaded.working_directory / scripts[0]).is_file(), (
        loaded.working_directory,
        scripts[0],
    )
