"""Workflow commands and file commands: escaping, outputs the runner can parse, limits."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from seedgate.errors import OutputError
from seedgate.github import commands
from tests.testing.github_fake import MalformedOutputError, parse_output_file


def test_data_escaping_does_percent_first() -> None:
    assert commands.escape_data("50%\r\nnext") == "50%25%0D%0Anext"
    assert commands.escape_data("%0A") == "%250A"  # a literal %0A stays literal


def test_property_escaping_covers_colon_and_comma() -> None:
    assert commands.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_workflow_command_with_properties() -> None:
    line = commands.workflow_command("error", "accuracy fell\nby 2%", {"title": "seedgate: a,b"})
    assert line == "::error title=seedgate%3A a%2Cb::accuracy fell%0Aby 2%25"
    assert "\n" not in line


def test_workflow_command_without_properties() -> None:
    assert commands.workflow_command("warning", "x", {"title": ""}) == "::warning::x"


def test_add_mask_masks_every_line() -> None:
    assert commands.add_mask("abc") == "::add-mask::abc"
    assert commands.add_mask("l1\nl2\n") == "::add-mask::l1\n::add-mask::l2"


def test_annotations_stop_at_ten_per_kind() -> None:
    out = io.StringIO()
    annotations = commands.Annotations(out)
    emitted = [annotations.emit("error", f"e{i}") for i in range(12)]
    annotations.emit("warning", "w")
    assert emitted == [True] * 10 + [False] * 2
    assert annotations.dropped["error"] == 2
    lines = out.getvalue().splitlines()
    assert sum(line.startswith("::error") for line in lines) == 10
    assert sum(line.startswith("::warning") for line in lines) == 1


def test_annotations_refuse_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        commands.Annotations(io.StringIO()).emit("fatal", "x")


def test_outputs_round_trip_through_the_runners_parser(tmp_path: Path) -> None:
    path = tmp_path / "output"
    values = {
        "verdict": "regression",
        "report": "# seedgate\n\nline with = and << inside\n",
        "empty": "",
        "tricky": "ghadelimiter_x\nEOF",
    }
    commands.write_outputs(path, values)
    commands.write_outputs(path, {"comment-url": "https://github.com/o/r/pull/2#c-1"})
    parsed = parse_output_file(path.read_text(encoding="utf-8"))
    assert parsed == {**values, "comment-url": "https://github.com/o/r/pull/2#c-1"}


def test_multiline_values_use_a_delimiter_absent_from_the_value() -> None:
    text = commands.format_output("x", "a\nb")
    head, *_, tail = text.strip("\n").split("\n")
    delimiter = head.split("<<", 1)[1]
    assert tail == delimiter
    assert delimiter not in "a\nb"
    assert commands.format_output("x", "a\nb") != text  # random each time


def test_bad_output_names_are_refused() -> None:
    with pytest.raises(ValueError, match="output name"):
        commands.format_output("a=b", "x")


def test_the_parser_rejects_what_the_runner_rejects() -> None:
    with pytest.raises(MalformedOutputError):
        parse_output_file("name<<EOF\nvalue\n")
    with pytest.raises(MalformedOutputError):
        parse_output_file("just a line\n")


def test_summary_appends_and_caps_what_the_gate_writes(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    commands.append_summary(path, "# one")
    commands.append_summary(path, "two\n")
    assert path.read_text(encoding="utf-8") == "# one\ntwo\n"
    commands.append_summary(path, "é line\n" * commands.STEP_SUMMARY_LIMIT_BYTES)
    written = path.read_bytes()[len("# one\ntwo\n") :]
    assert len(written) <= commands.STEP_SUMMARY_LIMIT_BYTES
    text = written.decode("utf-8")  # cut at a character (and line) boundary
    assert text.endswith(commands.CUT_NOTE)
    assert text.startswith("é line\n")


def test_a_summary_already_full_from_a_run_does_not_stop_the_gate(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    path.write_bytes(b"x" * (commands.STEP_SUMMARY_LIMIT_BYTES + 10))
    commands.append_summary(path, "## seedgate")
    assert path.read_bytes().endswith(b"## seedgate\n")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_a_full_disk_is_an_output_error_naming_the_file() -> None:
    full = Path("/dev/full")  # every write fails with ENOSPC, like a full disk
    with pytest.raises(OutputError, match="step summary /dev/full cannot be written"):
        commands.append_summary(full, "## seedgate")
    with pytest.raises(OutputError, match="outputs file /dev/full cannot be written"):
        commands.write_outputs(full, {"verdict": "regression"})


def _file_commands(tmp_path: Path) -> dict[str, str]:
    environ = {}
    for name in commands.FILE_COMMANDS:
        path = tmp_path / name.lower()
        path.write_text(f"before_{name}=1\n", encoding="utf-8")
        environ[name] = str(path)
    return environ


def test_the_gate_owns_its_file_commands(tmp_path: Path) -> None:
    environ = _file_commands(tmp_path)
    files = commands.FileCommands.take(environ)
    for name in commands.FILE_COMMANDS:  # what a run appended behind the gate's back
        with Path(environ[name]).open("a", encoding="utf-8") as handle:
            handle.write("verdict=no-change\nLD_PRELOAD=/tmp/evil.so\n")

    files.write_outputs({"verdict": "regression"})
    files.append_summary("## seedgate")

    out = Path(environ["GITHUB_OUTPUT"]).read_text(encoding="utf-8")
    assert parse_output_file(out) == {"before_GITHUB_OUTPUT": "1", "verdict": "regression"}
    summary = Path(environ["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary == "before_GITHUB_STEP_SUMMARY=1\n## seedgate\n"
    for name in ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE"):
        assert Path(environ[name]).read_text(encoding="utf-8") == f"before_{name}=1\n"


def test_a_symlink_put_in_place_of_a_file_command_is_replaced(tmp_path: Path) -> None:
    environ = _file_commands(tmp_path)
    files = commands.FileCommands.take(environ)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    output = Path(environ["GITHUB_OUTPUT"])
    output.unlink()
    output.symlink_to(victim)

    files.write_outputs({"verdict": "pass"})

    assert victim.read_text(encoding="utf-8") == "keep me"
    assert not output.is_symlink()
    assert output.read_text(encoding="utf-8") == "before_GITHUB_OUTPUT=1\nverdict=pass\n"


def test_a_summary_a_run_filled_past_1_mib_does_not_shrink_the_gates(tmp_path: Path) -> None:
    environ = _file_commands(tmp_path)
    files = commands.FileCommands.take(environ)
    room = files.summary_room(commands.STEP_SUMMARY_LIMIT_BYTES)
    with Path(environ["GITHUB_STEP_SUMMARY"]).open("a", encoding="utf-8") as handle:
        handle.write("x" * (2 * commands.STEP_SUMMARY_LIMIT_BYTES))  # a run's doing

    assert files.summary_room(commands.STEP_SUMMARY_LIMIT_BYTES) == room
    files.append_summary("## seedgate")

    summary = Path(environ["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary == "before_GITHUB_STEP_SUMMARY=1\n## seedgate\n"
    assert files.summary_room(100) == 100 - len(summary)


def test_a_file_that_cannot_be_written_is_named_once(tmp_path: Path) -> None:
    environ = _file_commands(tmp_path)
    summary = Path(environ["GITHUB_STEP_SUMMARY"])
    summary.unlink()
    summary.mkdir()
    files = commands.FileCommands.take(environ)

    with pytest.raises(OutputError, match=f"step summary {summary} cannot be written"):
        files.append_summary("## seedgate")
    files.write_outputs({"verdict": "pass"})  # the other files are still written

    out = Path(environ["GITHUB_OUTPUT"]).read_text(encoding="utf-8")
    assert parse_output_file(out)["verdict"] == "pass"
