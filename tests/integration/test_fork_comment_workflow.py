"""The fork pattern's commenting half runs its real script, with GitHub's API in memory.

examples/workflows/seedgate-fork-comment.yml posts a report that a fork's run produced: the
script is taken from the workflow file as it is and run by Node.js the way
actions/github-script runs it (an async function of ``require``, ``github``, ``context``,
``core``), with an API object that answers from the lists a test gives it and records
every call. What matters is what it posts, where, and what it refuses.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.testing.workflow_tools import run

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "examples" / "workflows" / "seedgate-fork-comment.yml"
MARKER = "<!-- seedgate:comment-id=fork -->"
HEAD_SHA = "a" * 40
HEAD_REPO = "forker/Hello-World"

HARNESS = r"""
const fs = require("fs");
const state = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const script = fs.readFileSync(process.argv[3], "utf8");
const calls = [];
const github = {
  paginate: async (method, params) => method(params),
  rest: {
    pulls: { list: async () => state.pulls },
    issues: {
      listComments: async (p) => state.comments[String(p.issue_number)] || [],
      updateComment: async (p) => calls.push({ call: "update", ...p }),
      createComment: async (p) => calls.push({ call: "create", ...p }),
    },
  },
};
const context = { repo: { owner: "Codertocat", repo: "Hello-World" } };
const core = { warning: (message) => calls.push({ call: "warning", message }) };
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction("require", "github", "context", "core", script)(require, github, context, core)
  .then(() => console.log(JSON.stringify(calls)))
  .catch((error) => { console.error(error); process.exit(1); });
"""


def the_script() -> str:
    steps = YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["comment"]["steps"]
    step = next(s for s in steps if str(s.get("uses", "")).startswith("actions/github-script"))
    return str(step["with"]["script"])


def pull(number: int, sha: str = HEAD_SHA, repo: str = HEAD_REPO) -> dict[str, Any]:
    return {"number": number, "head": {"sha": sha, "repo": {"full_name": repo}}}


def post(
    tmp_path: Path,
    report: str,
    pulls: list[dict[str, Any]],
    comments: dict[str, list[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is missing (Debian package nodejs): ./dev setup installs it")
    (tmp_path / "seedgate-report").mkdir()
    (tmp_path / "seedgate-report" / "report.md").write_text(report, encoding="utf-8")
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"pulls": pulls, "comments": comments or {}}), encoding="utf-8")
    (tmp_path / "script.js").write_text(the_script(), encoding="utf-8")
    (tmp_path / "harness.js").write_text(HARNESS, encoding="utf-8")
    env = {"HEAD_SHA": HEAD_SHA, "HEAD_REPO": HEAD_REPO, "RUN_URL": "https://github.com/run/1"}
    done = run([node, "harness.js", str(state), "script.js"], cwd=tmp_path, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    calls: list[dict[str, Any]] = json.loads(done.stdout)
    return calls


def test_the_report_is_posted_on_the_pull_request_found_by_head_sha(tmp_path: Path) -> None:
    pulls = [pull(7, sha="b" * 40), pull(8, repo="someone-else/Hello-World"), pull(9)]
    calls = post(tmp_path, "## seedgate: regression\n", pulls)
    assert [(c["call"], c["issue_number"]) for c in calls] == [("create", 9)]
    assert calls[0]["body"].startswith(MARKER + "\nThe report below")
    assert "```text\n## seedgate: regression\n\n```" in calls[0]["body"]
    assert "https://github.com/run/1" in calls[0]["body"]


def test_no_matching_pull_request_posts_nothing(tmp_path: Path) -> None:
    calls = post(tmp_path, "report", [pull(7, sha="b" * 40)])
    assert [c["call"] for c in calls] == ["warning"]


def test_markers_and_html_comments_from_the_artifact_are_removed(tmp_path: Path) -> None:
    forged = f"{MARKER}\n<!-- seedgate:comment-id=default -->\ntext <!-- open\n"
    calls = post(tmp_path, forged, [pull(9)])
    body = calls[0]["body"]
    assert body.count("<!--") == 1  # only the workflow's own marker, first
    assert body.startswith(MARKER)
    assert "< !-- open" in body


HOSTILE_REPORT = """\
## ✅ seedgate: no change
cc @octocat @Codertocat/maintainers
![tracker](https://evil.example/pixel.png) <img src="https://evil.example/i.png">
[Approve the fix here](https://phish.example/login) and https://phish.example/bare
<a href="https://phish.example/html">html link</a> www.phish.example
```
closed the fence? ![again](https://evil.example/2.png) @octocat
``````
<details><summary>@octocat</summary>[x](https://phish.example/3)</details>
"""


def rendered(markdown: str) -> str:
    cmark = shutil.which("cmark-gfm")
    if cmark is None:
        pytest.fail("cmark-gfm is missing (Debian package cmark-gfm): ./dev setup installs it")
    done = subprocess.run(
        [cmark, "--unsafe", "-e", "autolink", "-e", "table", "-e", "tagfilter"],
        input=markdown,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_hostile_report_gives_no_mention_image_or_link_seedgate_did_not_make(
    tmp_path: Path,
) -> None:
    (call,) = post(tmp_path, HOSTILE_REPORT, [pull(9)])
    html = rendered(call["body"])

    assert re.findall(r"<a [^>]*>", html) == ['<a href="https://github.com/run/1">']
    assert "<img" not in html
    assert "<details" not in html
    outside = re.sub(r"<pre><code[^>]*>.*?</code></pre>", "", html, flags=re.DOTALL)
    assert "@" not in outside  # every mention is inside the code block, as plain text
    assert "no change" not in outside
    assert "phish" not in outside


def test_the_cap_counts_bytes_and_never_splits_a_character(tmp_path: Path) -> None:
    report = "é😀" * 20_000  # 120,000 bytes of two- and four-byte characters
    (call,) = post(tmp_path, report, [pull(9)])
    shown = call["body"].split("```text\n", 1)[1].split("\n(report cut", 1)[0]
    assert 59_990 < len(shown.encode("utf-8")) <= 60_000
    assert "\ufffd" not in shown  # no broken character at the cut
    assert report.startswith(shown)


def test_an_oversized_report_is_cut(tmp_path: Path) -> None:
    calls = post(tmp_path, "x" * 200_000, [pull(9)])
    body = calls[0]["body"]
    assert len(body) < 61_000
    assert "report cut at 60,000 bytes" in body


def test_only_the_bots_own_comment_is_updated(tmp_path: Path) -> None:
    comments = {
        "9": [
            {"id": 1, "user": {"login": "mallory"}, "body": f"{MARKER}\nfake"},
            {"id": 2, "user": {"login": "github-actions[bot]"}, "body": f"{MARKER}\nold"},
        ]
    }
    calls = post(tmp_path, "new report", [pull(9)], comments)
    assert [(c["call"], c.get("comment_id")) for c in calls] == [("update", 2)]
    assert calls[0]["body"].startswith(MARKER)
    assert "\nnew report\n" in calls[0]["body"]


def test_a_marker_comment_by_someone_else_is_not_adopted(tmp_path: Path) -> None:
    comments = {"9": [{"id": 1, "user": {"login": "mallory"}, "body": f"{MARKER}\nfake"}]}
    calls = post(tmp_path, "new report", [pull(9)], comments)
    assert [c["call"] for c in calls] == ["create"]
