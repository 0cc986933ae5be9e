"""The environment fingerprint stored with every RunSet, and what differs between two.

Nothing here imports TensorFlow: versions come from package metadata, the GPU from the
NVIDIA driver's files or ``nvidia-smi``.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from seedgate.records import EnvironmentDifference

# The keys whose change can move a metric without any code change, in report order.
REPRODUCIBILITY_KEYS = ("cpu", "gpu", "python", "tensorflow", "platform", "image")

_TENSORFLOW_DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu", "tf-nightly", "tensorflow-macos")
_NVIDIA_VERSION_FILE = Path("/proc/driver/nvidia/version")
_CPUINFO_FILE = Path("/proc/cpuinfo")
_NONE = "none"


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


def tensorflow_version() -> str:
    """The installed TensorFlow distribution and version, from metadata only."""
    installed = {
        d: v for d in _TENSORFLOW_DISTRIBUTIONS if (v := _distribution_version(d)) is not None
    }
    return next((f"{d} {v}" for d, v in installed.items()), _NONE)


def _distribution_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def gpu_names_from_smi(listing: str) -> str | None:
    """``nvidia-smi -L`` output -> "NVIDIA H100 80GB HBM3; ..." (None: no GPU line)."""
    # "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-...)" -> "NVIDIA H100 80GB HBM3"
    names = [
        line.split(":", 1)[1].split("(UUID")[0].strip()
        for line in listing.splitlines()
        if line.startswith("GPU ") and ":" in line
    ]
    return "; ".join(names) if names else None


def gpu_from_driver_version(text: str) -> str | None:
    """The first line of /proc/driver/nvidia/version, whitespace collapsed."""
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return None
    return f"nvidia driver: {' '.join(lines[0].split())}"


def _smi_listing() -> str | None:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    try:
        listing = subprocess.run(
            [smi, "-L"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return listing.stdout if listing.returncode == 0 else None


def gpu_description(version_file: Path = _NVIDIA_VERSION_FILE) -> str:
    """GPU names from ``nvidia-smi -L``, else the NVIDIA driver version, else "none"."""
    listing = _smi_listing()
    names = gpu_names_from_smi(listing) if listing else None
    if names:
        return names
    try:
        text = version_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return _NONE
    return gpu_from_driver_version(text) or _NONE


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

    ``extra`` holds keys the runs reported themselves (e.g. the TensorFlow version a
    training process really imported); they are added and win over the probed values.
    """
    probed = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": cpu_model(),
        "gpu": gpu_description(),
        "tensorflow": tensorflow_version(),
        "image": container_image(os.environ),
    }
    return {**probed, **(extra or {})}


def differences(
    baseline: Mapping[str, str], candidate: Mapping[str, str]
) -> tuple[EnvironmentDifference, ...]:
    """The reproducibility keys whose values differ (a key missing on one side differs)."""
    return tuple(
        EnvironmentDifference(key, baseline.get(key), candidate.get(key))
        for key in REPRODUCIBILITY_KEYS
        if baseline.get(key) != candidate.get(key)
    )
