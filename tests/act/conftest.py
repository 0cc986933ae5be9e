"""The act tier's images, made once per session for every workflow's test."""

from __future__ import annotations

import pytest

from tests.testing import act_runner


@pytest.fixture(scope="session")
def images(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The job image's tag, with the action's image tagged as action.yml names it."""
    return act_runner.images(tmp_path_factory.mktemp("runner-image"))
