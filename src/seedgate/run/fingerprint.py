"""The environment fingerprint stored with every RunSet, and what differs between two.

Nothing here imports a framework: TensorFlow, PyTorch, JAX and the CUDA libraries their
wheels bring (``nvidia-cuda-runtime-cu12``, ``nvidia-cudnn-cu12``, ...) are read from
package metadata, the GPU from ``nvidia-smi`` or the NVIDIA driver's files. Importing
``torch`` just to read ``torch.version.cuda`` would cost seconds and gigabytes of memory
in the process that only orchestrates the runs.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from seedgate.records import EnvironmentDifference

# The keys whose change can move a metric without any code change, in report order.
REPRODUCIBILITY_KEYS = (
    "cpu",
    "gpu",
    "gpu_driver",
    "cuda",
    "cudnn",
    "python",
    "tensorflow",
    "pytorch",
    "jax",
    "platform",
    "image",
)

_TENSORFLOW_DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu", "tf-nightly", "tensorflow-macos")
_PYTORCH_DISTRIBUTIONS = ("torch",)
_JAX_DISTRIBUTIONS = ("jax", "jaxlib")
# The CUDA runtime and cuDNN wheels the frameworks depend on, newest CUDA first.
_CUDA_DISTRIBUTIONS = (
    "nvidia-cuda-runtime",
    "nvidia-cuda-runtime-cu13",
    "nvidia-cuda-runtime-cu12",
    "nvidia-cuda-runtime-cu11",
)
_CUDNN_DISTRIBUTIONS = ("nvidia-cudnn-cu13", "nvidia-cudnn-cu12", "nvidia-cudnn-cu11")
_NVIDIA_VERSION_FILE = Path("/proc/driver/nvidia/version")
_CPUINFO_FILE = Path("/proc/cpuinfo")
_SMI_TIMEOUT_SECONDS = 10
_NONE = "none"

Versions = Callable[[str], "str | None"]


def cpu_model_from_cpuinfo(text: str) -> str | None:
    """The first 'model name' (x86) or 'Model'/'Hardware' (ARM) of /proc/cpuinfo text."""
    for wanted in ("model name", "Model", "Hardware"):
        for line in text.splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() == wanted and value.strip():
                return " ".join(value.split())
    return None


def cpu_model(cpuinfo: Path = _CPUINFO_FILE) -> str:
    try:
        found = cpu_model_from_cpuinfo(cpuinfo.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        found = None
    return found or platform.processor() or platform.machine() or "unknown"


def distribution_version(name: str) -> str | None:
    """The installed version of the distribution ``name``, from its metadata (None: absent)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _first_installed(names: tuple[str, ...], versions: Versions) -> str:
    """ "NAME VERSION" of the first distribution of ``names`` that is installed, else "none"."""
    return next((f"{n} {v}" for n in names if (v := versions(n)) is not None), _NONE)


def _all_installed(names: tuple[str, ...], versions: Versions) -> str:
    """ "NAME VERSION, NAME VERSION" of every installed distribution of ``names``, else "none"."""
    found = [f"{n} {v}" for n in names if (v := versions(n)) is not None]
    return ", ".join(found) or _NONE


def _bare_version(names: tuple[str, ...], versions: Versions) -> str:
    """The version of the first installed distribution of ``names`` alone, else "none"."""
    return next((v for n in names if (v := versions(n)) is not None), _NONE)


def tensorflow_version(versions: Versions = distribution_version) -> str:
    """The installed TensorFlow distribution and version, from metadata only."""
    return _first_installed(_TENSORFLOW_DISTRIBUTIONS, versions)


def framework_versions(versions: Versions = distribution_version) -> dict[str, str]:
    """TensorFlow, PyTorch and JAX with the CUDA runtime and cuDNN wheels beside them.

    A PyTorch wheel's local version names its CUDA build (``2.5.1+cu121``); the CUDA and
    cuDNN keys come from the ``nvidia-*`` wheels that pip installs with a CUDA build.
    """
    return {
        "tensorflow": tensorflow_version(versions),
        "pytorch": _first_installed(_PYTORCH_DISTRIBUTIONS, versions),
        "jax": _all_installed(_JAX_DISTRIBUTIONS, versions),
        "cuda": _bare_version(_CUDA_DISTRIBUTIONS, versions),
        "cudnn": _bare_version(_CUDNN_DISTRIBUTIONS, versions),
    }


def gpus_from_smi_query(csv: str) -> tuple[str, str] | None:
    """``nvidia-smi --query-gpu=name,driver_version --format=csv,noheader`` -> (gpus, driver).

    One line per GPU: "NVIDIA H100 80GB HBM3, 550.54.15". The GPUs are joined with "; "
    ("NVIDIA H100 80GB HBM3; NVIDIA H100 80GB HBM3"); None when no line has both fields.
    """
    rows = [line.rpartition(",") for line in csv.splitlines()]
    pairs = [(name.strip(), driver.strip()) for name, sep, driver in rows if sep]
    pairs = [(name, driver) for name, driver in pairs if name and driver]
    if not pairs:
        return None
    drivers = sorted({driver for _, driver in pairs})
    return "; ".join(name for name, _ in pairs), ", ".join(drivers)


def driver_version_from_file(text: str) -> str | None:
    """The version in /proc/driver/nvidia/version text ("... Kernel Module  550.54.15 ...")."""
    found = re.search(r"Kernel Module(?:\s+for\s+\S+)?\s+(\d+(?:\.\d+)+)", text)
    if found:
        return found[1]
    lines = text.splitlines()
    return " ".join(lines[0].split()) if lines and lines[0].strip() else None


def _smi_query() -> str | None:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    query = [smi, "--query-gpu=name,driver_version", "--format=csv,noheader"]
    try:
        done = subprocess.run(
            query, capture_output=True, text=True, timeout=_SMI_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def gpu_fingerprint(version_file: Path = _NVIDIA_VERSION_FILE) -> dict[str, str]:
    """The GPU models and the NVIDIA driver: from ``nvidia-smi``, else the driver's file.

    Without ``nvidia-smi`` (a container started without the driver's tools) the models are
    unknown but the driver still shows that a GPU is there.
    """
    listing = _smi_query()
    found = gpus_from_smi_query(listing) if listing else None
    if found:
        return {"gpu": found[0], "gpu_driver": found[1]}
    try:
        text = version_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {"gpu": _NONE, "gpu_driver": _NONE}
    driver = driver_version_from_file(text)
    if driver is None:
        return {"gpu": _NONE, "gpu_driver": _NONE}
    return {"gpu": "NVIDIA GPU (no model from nvidia-smi)", "gpu_driver": driver}


def container_image(env: Mapping[str, str], dockerenv: Path = Path("/.dockerenv")) -> str:
    """$SEEDGATE_IMAGE, else the GitHub runner image, else whether we run in Docker."""
    if env.get("SEEDGATE_IMAGE"):
        return env["SEEDGATE_IMAGE"]
    if env.get("ImageOS"):
        return f"{env['ImageOS']} {env.get('ImageVersion', '')}".strip()
    if dockerenv.exists():
        return "docker (unnamed image)"
    return _NONE


def fingerprint(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """What the metrics may depend on beyond the code.

    ``extra`` holds keys the runs reported themselves (e.g. the CUDA version a training
    process really loaded); they are added and win over the probed values.
    """
    probed = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": cpu_model(),
        **gpu_fingerprint(),
        **framework_versions(),
        "image": container_image(os.environ),
    }
    return {**probed, **(extra or {})}


def _differs(baseline: str | None, candidate: str | None) -> bool:
    # A key that one side did not record (a RunSet from an older seedgate) and the other
    # records as absent ("none") is not known to differ: no warning for it.
    if {baseline, candidate} == {None, _NONE}:
        return False
    return baseline != candidate


def differences(
    baseline: Mapping[str, str], candidate: Mapping[str, str]
) -> tuple[EnvironmentDifference, ...]:
    """The reproducibility keys whose values differ, GPU and framework changes included.

    A key missing on one side differs, unless the other side records it as "none".
    """
    return tuple(
        EnvironmentDifference(key, baseline.get(key), candidate.get(key))
        for key in REPRODUCIBILITY_KEYS
        if _differs(baseline.get(key), candidate.get(key))
    )
