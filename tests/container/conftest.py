"""The container tier: every test here runs the built image as the runner does."""

from __future__ import annotations

import pytest
from images import EngineError, action_image


@pytest.fixture(scope="session")
def image() -> str:
    try:
        return action_image()
    except EngineError as exc:  # loud: this tier never skips
        pytest.fail(f"the container tier needs Docker: {exc}", pytrace=False)
