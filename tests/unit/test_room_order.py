"""The README's map of the house is true: every room is on it, and each imports only rooms above.

The order is read from the README's map (the one source of truth); imports are read with ``ast``,
none executed, those inside functions and under ``TYPE_CHECKING`` included.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "seedgate"
MAP_START = "A map of the house, one line a room"
# the package's doors, not rooms: the version and ``python -m seedgate``
DOORS = frozenset({"__init__", "__main__"})


def readme_rooms() -> list[str]:
    """The rooms in the README's order: the first word of each line of the map's code block."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    after = text[text.index(MAP_START) :]
    block = re.search(r"```text\n(.*?)```", after, re.DOTALL)
    assert block is not None, "the README's map has no ```text block"
    names = [line.split()[0] for line in block.group(1).splitlines() if line[:1].strip()]
    return [name.removesuffix(".py").removesuffix("/") for name in names]


def package_rooms() -> set[str]:
    rooms = {p.stem for p in PACKAGE.glob("*.py")} | {
        p.parent.name for p in PACKAGE.glob("*/__init__.py")
    }
    return rooms - DOORS


def room_of(module: str) -> str | None:
    """``seedgate.report.cells`` -> ``report``; the package itself (``__version__``) -> None."""
    parts = module.split(".")
    return parts[1] if parts[0] == "seedgate" and len(parts) > 1 else None


def imported_rooms(path: Path) -> set[str]:
    rooms: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # ``from seedgate import compare`` names a room in the imported name
            bare = node.module == "seedgate"
            modules = [f"seedgate.{a.name}" for a in node.names] if bare else [node.module]
        else:
            modules = []
        rooms |= {room for m in modules if (room := room_of(m)) is not None}
    return rooms


def upward_imports(order: list[str]) -> list[str]:
    rank = {room: i for i, room in enumerate(order)}
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        room = relative.parts[0].removesuffix(".py")
        if room in DOORS:
            continue
        found += [
            f"{relative} ({room}) imports {other}, which is below it"
            for other in sorted(imported_rooms(path) & rank.keys())
            if rank[other] > rank[room]
        ]
    return found


def test_the_map_names_every_room_once() -> None:
    rooms = readme_rooms()
    assert len(rooms) == len(set(rooms)), rooms
    assert set(rooms) == package_rooms()


def test_each_room_imports_only_rooms_above_it() -> None:
    assert upward_imports(readme_rooms()) == []


def test_the_lobby_holds_at_most_twelve_modules() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")} - DOORS
    assert len(modules) <= 12, sorted(modules)


def test_an_upward_import_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "errors.py").write_text("def late():\n    from seedgate.records import Note\n")
    (tmp_path / "records.py").write_text("from seedgate import errors\n")
    monkeypatch.setattr(f"{__name__}.PACKAGE", tmp_path)
    assert upward_imports(["errors", "records"]) == [
        "errors.py (errors) imports records, which is below it"
    ]
