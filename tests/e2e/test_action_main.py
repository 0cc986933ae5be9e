"""``seedgate.action.main(environ) -> int`` called in process, as a host command would call it:
it takes a mapping and a stream, scrubs the secrets from that mapping, returns the code."""

from __future__ import annotations

import io
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from seedgate.action import main
from seedgate.runset.codec import read_runset
from tests.testing.github_fake import parse_output_file
from tests.testing.github_runner import MAIN_SHA, PR_NUMBER, TOKEN, Workflow, pr_event, push_event


@pytest.fixture
def restored_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """main changes directory and installs a SIGTERM handler: undo both afterwards."""
    monkeypatch.chdir(tmp_path)
    previous = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.mark.usefixtures("restored_process")
def test_main_in_process_makes_the_baseline_and_scrubs_the_mapping(workflow: Workflow) -> None:
    job = workflow.prepare("push", push_event(), ref="refs/heads/master", sha=MAIN_SHA)
    environ = dict(job.env)
    out = io.StringIO()

    code = main(environ, out=out)

    assert code == 0, out.getvalue()
    assert out.getvalue().startswith(f"::add-mask::{TOKEN}\n")
    assert not [name for name in environ if name.startswith("INPUT_")]
    assert "ACTIONS_RUNTIME_TOKEN" not in environ
    outputs = parse_output_file(job.output.read_text(encoding="utf-8"))
    assert outputs["verdict"] == "baseline"
    assert len(read_runset(job.workspace / outputs["baseline-path"]).ok_runs) == 5


@pytest.mark.usefixtures("restored_process")
def test_main_in_process_reports_a_bad_input_as_2(workflow: Workflow) -> None:
    job = workflow.prepare(
        "push", push_event(), ref="refs/heads/master", sha=MAIN_SHA, inputs={"jobs": "lots"}
    )
    out = io.StringIO()

    assert main(dict(job.env), out=out) == 2
    assert "::error title=seedgate%3A configuration::jobs = 'lots'" in out.getvalue()


@pytest.mark.usefixtures("restored_process")
def test_an_unexpected_exception_is_an_internal_error_exiting_2(workflow: Workflow) -> None:
    job = workflow.prepare(
        "pull_request", pr_event(), ref=f"refs/pull/{PR_NUMBER}/merge", sha="9" * 40
    )
    out = io.StringIO()

    def broken_session() -> requests.Session:
        raise RuntimeError("a bug in the glue")

    code = main(dict(job.env), out=out, session_factory=broken_session)

    assert code == 2, out.getvalue()
    assert "::error title=seedgate%3A internal error::" in out.getvalue()
    assert "RuntimeError" in out.getvalue()
    assert "Traceback" not in out.getvalue()
