"""The action's image for the container tier: engine, stand-in base, build cached by content.

No registry is reachable here, so the image is built from the Dockerfile on a stand-in for
python:3.11-slim (``base_image.sh``: Debian bookworm with Python 3.11). The tag carries a
hash of everything the Dockerfile copies and of the base image, so a rerun with the same
sources reuses the image and a changed source file rebuilds only the layers after it.
One process at a time starts the engine and builds (a lock beside the system's temporary
files): pytest-xdist's workers, or another checkout's suite on the same engine, wait for the
first build and then reuse it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
STAND_IN_BASE = "seedgate-test-base:bookworm"
REPOSITORY = "seedgate-action"
KEPT_TEST_IMAGES = 3
BUILD_LOCK = Path(tempfile.gettempdir()) / "seedgate-test-images.lock"
# What the Dockerfile copies (and the Dockerfile itself): a change here rebuilds the image.
CONTEXT = ("Dockerfile", "constraints.txt", "pyproject.toml", "README.md", "src", "examples",
           "entrypoint.py")  # fmt: skip


class EngineError(RuntimeError):
    """No Docker engine, base or image: the tier fails with the reason."""


def _script(name: str, *args: str) -> None:
    done = subprocess.run(
        [str(HERE / name), *args], capture_output=True, text=True, timeout=1800, check=False
    )
    if done.returncode != 0:
        raise EngineError(f"{name} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")


def ensure_engine() -> None:
    _script("engine.sh")


@contextlib.contextmanager
def _one_builder() -> Iterator[None]:
    """Held while the engine is started or an image built (not reentrant: take it once)."""
    with BUILD_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


def base_image() -> str:
    """The stand-in, built once; SEEDGATE_TEST_BASE_IMAGE names another (e.g. the real one)."""
    with _one_builder():
        return _base_image()


def _base_image() -> str:
    chosen = os.environ.get("SEEDGATE_TEST_BASE_IMAGE")
    if chosen:
        return chosen
    _script("base_image.sh", STAND_IN_BASE)
    return STAND_IN_BASE


def _context_files() -> list[Path]:
    files = []
    for name in CONTEXT:
        path = ROOT / name
        found = sorted(path.rglob("*")) if path.is_dir() else [path]
        files += [
            f for f in found if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc"
        ]
    return files


def context_hash(base: str) -> str:
    digest = hashlib.sha256(base.encode())
    for path in _context_files():
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def exists(tag: str) -> bool:
    done = subprocess.run(["docker", "image", "inspect", tag], capture_output=True, check=False)
    return done.returncode == 0


def build(tag: str, base: str) -> None:
    args = ["docker", "build", "--network", "host", "--build-arg", f"BASE_IMAGE={base}"]
    done = subprocess.run(
        [*args, "--tag", tag, str(ROOT)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        raise EngineError(f"docker build failed:\n{(done.stdout + done.stderr)[-6000:]}")


def _drop_older_test_images(keep: str) -> None:
    """Keeps the newest few (other checkouts on this engine may be using theirs)."""
    listing = subprocess.run(  # newest first
        ["docker", "images", "--format", "{{.Repository}}:{{.Tag}}", REPOSITORY],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    tests = [tag for tag in listing if tag.startswith(f"{REPOSITORY}:test-") and tag != keep]
    old = tests[KEPT_TEST_IMAGES - 1 :]
    if old:
        subprocess.run(["docker", "rmi", *old], capture_output=True, check=False)


def action_image() -> str:
    """The image of this checkout, built when its sources changed since the last build."""
    with _one_builder():
        ensure_engine()
        base = _base_image()
        tag = f"{REPOSITORY}:test-{context_hash(base)}"
        if not exists(tag):
            build(tag, base)
            _drop_older_test_images(keep=tag)
        return tag
