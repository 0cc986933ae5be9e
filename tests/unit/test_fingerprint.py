"""The environment fingerprint and its differences."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from seedgate.records import EnvironmentDifference
from seedgate.runset.fingerprint import (
    container_image,
    cpu_model_from_cpuinfo,
    differences,
    gpu_from_driver_version,
    gpu_names_from_smi,
    tensorflow_version,
)

X86_CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R)   Platinum 8375C CPU @ 2.90GHz
flags\t\t: fpu vme

processor\t: 1
model name\t: Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz
"""

ARM_CPUINFO = """processor\t: 0
BogoMIPS\t: 108.00
Hardware\t: BCM2835
Model\t\t: Raspberry Pi 4 Model B Rev 1.4
"""


def test_cpu_model_is_read_from_cpuinfo() -> None:
    assert cpu_model_from_cpuinfo(X86_CPUINFO) == "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz"
    assert cpu_model_from_cpuinfo(ARM_CPUINFO) == "Raspberry Pi 4 Model B Rev 1.4"
    assert cpu_model_from_cpuinfo("processor\t: 0\n") is None


def test_tensorflow_version_comes_from_metadata() -> None:
    names = {
        d.metadata["Name"].lower().replace("_", "-") for d in importlib.metadata.distributions()
    }
    installed = [
        f"{name} {importlib.metadata.version(name)}"
        for name in ("tensorflow", "tensorflow-cpu")
        if name in names
    ]
    assert tensorflow_version() == (installed[0] if installed else "none")


def test_gpu_parsers() -> None:
    listing = (
        "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1234)\n"
        "GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-5678)\n"
    )
    assert gpu_names_from_smi(listing) == "NVIDIA H100 80GB HBM3; NVIDIA H100 80GB HBM3"
    assert gpu_names_from_smi("No devices were found\n") is None
    version = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar 5 2024\nGCC\n"
    assert gpu_from_driver_version(version) == (
        "nvidia driver: NVRM version: NVIDIA UNIX x86_64 Kernel Module 550.54.15 Tue Mar 5 2024"
    )
    assert gpu_from_driver_version("") is None


def test_container_image_precedence(tmp_path: Path) -> None:
    marker = tmp_path / ".dockerenv"
    assert container_image({}, marker) == "none"
    marker.touch()
    assert container_image({}, marker) == "docker (unnamed image)"
    runner = {"ImageOS": "ubuntu22", "ImageVersion": "20240922.1.0"}
    assert container_image(runner, marker) == "ubuntu22 20240922.1.0"
    assert container_image({**runner, "SEEDGATE_IMAGE": "ghcr.io/x/y:1"}, marker) == (
        "ghcr.io/x/y:1"
    )


def test_differences_only_on_reproducibility_keys() -> None:
    baseline = {"python": "3.11.7", "cpu": "Xeon", "gpu": "none", "created_by": "a"}
    candidate = {"python": "3.11.7", "cpu": "EPYC", "gpu": "none", "created_by": "b"}
    candidate["tensorflow"] = "tensorflow-cpu 2.21.0"
    assert differences(baseline, candidate) == (
        EnvironmentDifference("cpu", "Xeon", "EPYC"),
        EnvironmentDifference("tensorflow", None, "tensorflow-cpu 2.21.0"),
    )
    assert differences(candidate, candidate) == ()
    assert differences({}, {}) == ()
