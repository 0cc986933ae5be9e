"""The action's image: build time (cold, and warm after a source-only change), size, start-up.

    python benchmarks/image.py [--base IMAGE] [--repeats 3]

Builds ./Dockerfile with BASE_IMAGE = the stand-in for python:3.11-slim that the container
tier uses (tests/container/base_image.sh: Debian bookworm + Python 3.11, built once), from
a copy of the build context in a temporary folder:
- cold: ``--no-cache`` (downloads TensorFlow and the rest of constraints.txt);
- warm: one line appended to a seedgate source file, then a normal build (what a pull
  request that changes only seedgate costs).
Start-up, with the image present (as after the runner pulled the prebuilt one):
- ``docker run --rm IMAGE`` of a no-op (``--entrypoint true``);
- the action itself (entrypoint.py) making a 3-run baseline of a metrics-only command,
  started as the runner starts it; its wall time minus the same 3 runs on the host is what
  the action adds to a job beyond the training.
Pull cost: the compressed size (``docker save | gzip -1``, what a registry serves) and the
time to extract the image (``docker load`` of the saved archive; a pull also extracts).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, this_command

STAND_IN = "seedgate-test-base:bookworm"
TAG = "seedgate-action:bench"
CONTEXT = ("Dockerfile", "constraints.txt", "pyproject.toml", "README.md", "src", "examples",
           "entrypoint.py", ".dockerignore")  # fmt: skip
COMMAND = "python -c 'import json; print(json.dumps({\"accuracy\": 0.9}))'"
RESULTS = ROOT / "benchmarks" / "results" / "image.md"


def sh(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), check=True, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def timed(*args: str) -> float:
    start = time.perf_counter()
    sh(*args)
    return time.perf_counter() - start


def copy_context(target: Path) -> None:
    target.mkdir(parents=True)
    for name in CONTEXT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target / name)


BUILT: list[str] = []  # image ids this benchmark made, removed at the end


def build(context: Path, base: str, *, cold: bool) -> float:
    extra = ["--no-cache"] if cold else []
    elapsed = timed("docker", "build", "--network", "host", *extra, "--build-arg",
                    f"BASE_IMAGE={base}", "--tag", TAG, str(context))  # fmt: skip
    BUILT.append(sh("docker", "image", "inspect", "--format", "{{.Id}}", TAG).stdout.strip())
    return elapsed


def remove_built() -> None:
    subprocess.run(["docker", "rmi", TAG, *BUILT], capture_output=True, check=False)


def action_job(workdir: Path) -> float:
    """One baseline job of the action, started as the runner starts it."""
    workspace, commands = workdir / "workspace", workdir / "commands"
    shutil.rmtree(workdir, ignore_errors=True)
    workspace.mkdir(parents=True)
    commands.mkdir()
    (commands / "out").touch()
    (commands / "summary").touch()
    env = {
        "GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_NAME": "workflow_dispatch",
        "GITHUB_REF": "refs/heads/main", "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_OUTPUT": "/github/file_commands/out",
        "GITHUB_STEP_SUMMARY": "/github/file_commands/summary",
        "INPUT_COMMAND": COMMAND, "INPUT_MODE": "baseline", "INPUT_BASELINE-RUNS": "3",
        "INPUT_MIN-EFFECT": "0.01", "INPUT_BASELINE-PATH": ".seedgate/baseline.json",
    }  # fmt: skip
    args = ["docker", "run", "--rm", "--workdir", "/github/workspace", "--network", "host"]
    for key in env:
        args += ["-e", key]
    args += ["-v", f"{workspace}:/github/workspace", "-v", f"{commands}:/github/file_commands"]
    start = time.perf_counter()
    done = subprocess.run([*args, TAG], env={"PATH": "/usr/local/bin:/usr/bin:/bin", **env},
                          capture_output=True, text=True, check=False)  # fmt: skip
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"the action failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    return elapsed


def host_runs() -> float:
    start = time.perf_counter()
    for _ in range(3):
        sh("sh", "-c", COMMAND)
    return time.perf_counter() - start


def pull_cost(workdir: Path) -> tuple[float, float]:
    archive = workdir / "image.tar"
    sh("docker", "save", "--output", str(archive), TAG)
    gz = sh("sh", "-c", f"gzip -1 -c {archive} | wc -c")
    sh("docker", "rmi", TAG)
    load_s = timed("docker", "load", "--input", str(archive))
    archive.unlink()
    return int(gz.stdout) / 1e6, load_s


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=STAND_IN, help="BASE_IMAGE (default: the stand-in)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    engine = ROOT / "tests" / "container"
    sh(str(engine / "engine.sh"))
    if args.base == STAND_IN:
        sh(str(engine / "base_image.sh"), STAND_IN)
    base_mb = json.loads(sh("docker", "image", "inspect", args.base).stdout)[0]["Size"] / 1e6
    with tempfile.TemporaryDirectory(prefix="seedgate-image-bench-") as tmp:
        work = Path(tmp)
        copy_context(work / "context")
        cold = build(work / "context", args.base, cold=True)
        warm = []
        for i in range(args.repeats):
            with (work / "context/src/seedgate/__init__.py").open("a", encoding="utf-8") as f:
                f.write(f"# benchmark edit {i}\n")
            warm.append(build(work / "context", args.base, cold=False))
        size_mb = json.loads(sh("docker", "image", "inspect", TAG).stdout)[0]["Size"] / 1e6
        noop = [timed("docker", "run", "--rm", "--entrypoint", "true", TAG)
                for _ in range(args.repeats)]  # fmt: skip
        job = [action_job(work / "job") for _ in range(args.repeats)]
        host = [host_runs() for _ in range(args.repeats)]
        compressed_mb, load_s = pull_cost(work)
    remove_built()
    rows = [
        ("cold build (--no-cache, TensorFlow downloaded)", f"{cold:.0f} s", ""),
        ("warm build after a seedgate source change", f"{median(warm):.1f} s", ""),
        ("image size", f"{size_mb:.0f} MB", ""),
        ("  of which the base image", f"{base_mb:.0f} MB", ""),
        ("  added by the Dockerfile", f"{size_mb - base_mb:.0f} MB", "<= 1.5 GB with base"),
        ("compressed (docker save, gzip -1)", f"{compressed_mb:.0f} MB", ""),
        ("extract (docker load)", f"{load_s:.1f} s", ""),
        ("docker run --rm of a no-op", f"{median(noop):.2f} s", ""),
        ("action job: 3-run baseline, metrics-only command", f"{median(job):.2f} s", ""),
        ("  the same 3 runs on the host", f"{median(host):.2f} s", ""),
        ("  added by the action (prebuilt image present)",
         f"{median(job) - median(host):.2f} s", "<= 60 s incl. pull"),
    ]  # fmt: skip
    lines = [f"$ {this_command()}", "", f"base image: {args.base}; medians of {args.repeats}", "",
             "| measure | result | target |", "|---|---:|---|"]  # fmt: skip
    lines += [f"| {name} | {value} | {target} |" for name, value, target in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
