"""The environment fingerprint and its differences."""

from __future__ import annotations

import importlib.metadata
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from seedgate.records import EnvironmentDifference
from seedgate.runset.fingerprint import (
    REPRODUCIBILITY_KEYS,
    container_image,
    cpu_model_from_cpuinfo,
    differences,
    fingerprint,
    gpu_description,
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


def test_fingerprint_describes_this_machine() -> None:
    found = fingerprint()
    assert set(REPRODUCIBILITY_KEYS) <= set(found)
    assert found["python"] == platform.python_version()
    assert found["machine"] == platform.machine()
    assert found["cpu"]
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        assert found["cpu"] == cpu_model_from_cpuinfo(cpuinfo.read_text())


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


def test_fingerprint_does_not_import_tensorflow() -> None:
    code = (
        "import sys; from seedgate.runset.fingerprint import fingerprint; f = fingerprint(); "
        "assert 'tensorflow' not in sys.modules, 'imported'; print(f['tensorflow'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == tensorflow_version()


def test_extra_keys_are_added_and_win() -> None:
    found = fingerprint({"tensorflow": "2.99.0 (reported)", "metrics_version": "3"})
    assert found["tensorflow"] == "2.99.0 (reported)"
    assert found["metrics_version"] == "3"


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


def test_gpu_description_without_a_driver_is_none(tmp_path: Path) -> None:
    if shutil.which("nvidia-smi") is None:
        assert gpu_description(tmp_path / "missing") == "none"
        driver = tmp_path / "version"
        driver.write_text("NVRM version: 550.54\n")
        assert gpu_description(driver) == "nvidia driver: NVRM version: 550.54"
    else:  # a GPU machine: the names come from nvidia-smi
        assert gpu_description(tmp_path / "missing") != "none"


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
