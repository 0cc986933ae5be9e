from __future__ import annotations

from pathlib import Path

from seedgate.files import GITIGNORE, make_directories


def test_a_created_seedgate_directory_ignores_itself(tmp_path: Path) -> None:
    make_directories(tmp_path / ".seedgate" / "demo")
    assert (tmp_path / ".seedgate" / ".gitignore").read_text() == GITIGNORE
    assert GITIGNORE.splitlines()[-1] == "*"
    assert not (tmp_path / ".seedgate" / "demo" / ".gitignore").exists()


def test_an_existing_seedgate_directory_is_left_as_it_is(tmp_path: Path) -> None:
    (tmp_path / ".seedgate").mkdir()
    make_directories(tmp_path / ".seedgate")
    make_directories(tmp_path / ".seedgate" / "runs")
    assert not (tmp_path / ".seedgate" / ".gitignore").exists()


def test_other_directories_get_no_gitignore(tmp_path: Path) -> None:
    make_directories(tmp_path / "baselines" / "main")
    assert (tmp_path / "baselines" / "main").is_dir()
    assert list((tmp_path / "baselines").rglob(".gitignore")) == []
