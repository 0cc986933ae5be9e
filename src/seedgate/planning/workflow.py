"""Which action fits a project: the container action when its image has what the command
imports, else the host action after setup-python.

The image's packages are ``constraints.txt``'s (a test keeps ``IMAGE_DISTRIBUTIONS`` equal to
it). What the command needs is read, not run: the imports of the Python scripts it names
(``ast``, top level and nested), and ``requirements.txt`` in the working directory. Standard
library modules, the project's own modules and seedgate itself are left out.
"""

from __future__ import annotations

import ast
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

# constraints.txt's distributions above its "not in the image" marker: what the container
# action's image has besides seedgate
IMAGE_DISTRIBUTIONS = frozenset({
    "absl-py", "astunparse", "certifi", "charset-normalizer", "flatbuffers", "gast",
    "google-pasta", "grpcio", "h5py", "idna", "jinja2", "keras", "libclang", "markdown-it-py",
    "markupsafe", "mdurl", "ml-dtypes", "namex", "numpy", "opt-einsum", "optree", "packaging",
    "protobuf", "pygments", "requests", "rich", "scipy", "six", "tensorflow-cpu", "termcolor",
    "typing-extensions", "urllib3", "wrapt",
})  # fmt: skip
# import names whose distribution is named otherwise (the common ones)
_DISTRIBUTION_OF = {
    "sklearn": "scikit-learn",
    "tensorflow": "tensorflow-cpu",
    "absl": "absl-py",
    "google": "protobuf",
    "markdown_it": "markdown-it-py",
    "opt_einsum": "opt-einsum",
    "ml_dtypes": "ml-dtypes",
    "typing_extensions": "typing-extensions",
    "yaml": "pyyaml",
    "cv2": "opencv-python",
    "PIL": "pillow",
    "skimage": "scikit-image",
    "torchvision": "torchvision",
    "lightgbm": "lightgbm",
}
_OWN = frozenset({"seedgate", "examples", "__future__"})
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
REQUIREMENTS = "requirements.txt"


@dataclass(frozen=True, slots=True)
class ProjectNeeds:
    """What the command needs that the container action's image lacks, and where it was read."""

    missing: tuple[str, ...]  # distributions, sorted
    scripts: tuple[str, ...]  # the scripts read, as the command names them
    requirements: str | None  # requirements.txt, when the working directory has one

    @property
    def host(self) -> bool:
        """Whether the host action (the job's own Python) fits better than the image."""
        return bool(self.missing)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distribution_of(module: str) -> str:
    """The distribution an import name most likely comes from (PEP 503 normalised)."""
    return normalise(_DISTRIBUTION_OF.get(module, module))


def script_paths(command: str, directory: Path) -> dict[str, Path]:
    """The ``.py`` files the command names that exist (from ``directory``), by the word
    that names them."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    return {w: directory / w for w in words if w.endswith(".py") and (directory / w).is_file()}


def imported_modules(source: str) -> set[str]:
    """The top-level names of every absolute import in ``source`` (empty if it is not Python)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def requirement_names(text: str) -> set[str]:
    """The distributions named in a requirements file (options and comments skipped)."""
    names = set()
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()  # noqa: PLW2901 - the line without its comment
        if not line or line.startswith("-"):
            continue
        if found := _REQUIREMENT_NAME.match(line):
            names.add(normalise(found.group(1)))
    return names


def _is_local(module: str, roots: set[Path]) -> bool:
    return any((r / f"{module}.py").is_file() or (r / module).is_dir() for r in roots)


def project_needs(command: str, directory: Path) -> ProjectNeeds:
    """What ``command``, run from ``directory``, needs beyond the container action's image."""
    scripts = script_paths(command, directory)
    roots = {directory, *(s.parent for s in scripts.values())}
    wanted: set[str] = set()
    for script in scripts.values():
        try:
            modules = imported_modules(script.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        wanted.update(
            distribution_of(m)
            for m in modules
            if m not in sys.stdlib_module_names and m not in _OWN and not _is_local(m, roots)
        )
    requirements = directory / REQUIREMENTS
    found_requirements = None
    if requirements.is_file():
        try:
            wanted.update(requirement_names(requirements.read_text(encoding="utf-8")))
            found_requirements = REQUIREMENTS
        except (OSError, UnicodeDecodeError):
            pass
    wanted.discard("seedgate")
    image = {normalise(d) for d in IMAGE_DISTRIBUTIONS} | {"tensorflow"}
    return ProjectNeeds(
        tuple(sorted(wanted - image)),
        tuple(scripts),
        found_requirements,
    )
