"""The container tier: every test here runs the built image as the runner does."""

from __future__ import annotations

import os

import pytest
from images import EngineError, action_image


@pytest.fixture(scope="session")
def image() -> str:
    if os.geteuid() != 0:  # loud: it chowns folders to the runner's uid and reads as that uid
        pytest.fail("the container tier runs as root, as CI does (sudo ./dev test)", pytrace=False)
    try:
        return action_image()
    except EngineError as exc:  # loud: this tier never skips
        pytest.fail(f"the container tier needs Docker: {exc}", pytrace=False)
