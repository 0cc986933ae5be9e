"""The environment fingerprint: parsers, and this machine through nvidia-smi (real or fake)."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from seedgate.records import EnvironmentDifference
from seedgate.run.fingerprint import (
    REPRODUCIBILITY_KEYS,
    container_image,
    cpu_model_from_cpuinfo,
    differences,
    driver_version_from_file,
    fingerprint,
    framework_versions,
    gpu_fingerprint,
    gpus_from_smi_query,
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
        "import sys; from seedgate.run.fingerprint import fingerprint; f = fingerprint(); "
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


def test_a_gpu_or_framework_change_is_named() -> None:
    baseline = {
        "gpu": "Tesla T4",
        "gpu_driver": "535.104.05",
        "cuda": "12.1.105",
        "cudnn": "8.9.2.26",
        "pytorch": "torch 2.3.1+cu121",
        "jax": "none",
    }
    candidate = {
        **baseline,
        "gpu": "NVIDIA A100-SXM4-40GB",
        "cudnn": "9.1.0.70",
        "pytorch": "torch 2.4.0+cu121",
        "jax": "jax 0.4.30, jaxlib 0.4.30",
    }
    assert differences(baseline, candidate) == (
        EnvironmentDifference("gpu", "Tesla T4", "NVIDIA A100-SXM4-40GB"),
        EnvironmentDifference("cudnn", "8.9.2.26", "9.1.0.70"),
        EnvironmentDifference("pytorch", "torch 2.3.1+cu121", "torch 2.4.0+cu121"),
        EnvironmentDifference("jax", "none", "jax 0.4.30, jaxlib 0.4.30"),
    )


def test_a_key_an_older_baseline_lacks_differs_only_when_present_now() -> None:
    older = {"python": "3.11.7", "gpu": "none", "tensorflow": "tensorflow-cpu 2.21.0"}
    now = {**older, "pytorch": "none", "jax": "none", "cuda": "none", "gpu_driver": "none"}
    assert differences(older, now) == ()
    assert differences(now, older) == ()
    with_torch = {**now, "pytorch": "torch 2.5.1"}
    assert differences(older, with_torch) == (
        EnvironmentDifference("pytorch", None, "torch 2.5.1"),
    )


def test_framework_versions_come_from_the_given_metadata() -> None:
    installed = {
        "tensorflow": "2.17.0",
        "torch": "2.5.1+cu121",
        "jaxlib": "0.4.30",
        "jax": "0.4.31",
        "nvidia-cuda-runtime-cu12": "12.1.105",
        "nvidia-cudnn-cu12": "9.1.0.70",
        "nvidia-cudnn-cu11": "8.9.6.50",
    }
    assert framework_versions(installed.get) == {
        "tensorflow": "tensorflow 2.17.0",
        "pytorch": "torch 2.5.1+cu121",
        "jax": "jax 0.4.31, jaxlib 0.4.30",
        "cuda": "12.1.105",
        "cudnn": "9.1.0.70",
    }
    nothing: dict[str, str] = {}
    assert framework_versions(nothing.get) == dict.fromkeys(
        ("tensorflow", "pytorch", "jax", "cuda", "cudnn"), "none"
    )


def _dist_info(site: Path, name: str, version: str) -> None:
    folder = site / f"{name.replace('-', '_')}-{version}.dist-info"
    folder.mkdir(parents=True)
    (folder / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


def test_installed_frameworks_are_read_without_importing_them(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _dist_info(site, "torch", "2.5.1+cu124")
    _dist_info(site, "nvidia-cuda-runtime-cu12", "12.4.127")
    _dist_info(site, "nvidia-cudnn-cu12", "9.1.0.70")
    (site / "torch").mkdir()
    (site / "torch" / "__init__.py").write_text("raise SystemExit('torch was imported')\n")
    code = (
        "import json, sys; from seedgate.run.fingerprint import fingerprint; "
        "f = fingerprint(); assert 'torch' not in sys.modules; print(json.dumps(f))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["pytorch"] == "torch 2.5.1+cu124"
    assert found["cuda"] == "12.4.127"
    assert found["cudnn"] == "9.1.0.70"


def _fake_nvidia_smi(folder: Path, script: str) -> None:
    folder.mkdir()
    smi = folder / "nvidia-smi"
    smi.write_text(f"#!/bin/sh\n{script}\n")
    smi.chmod(0o755)


def test_gpu_models_and_driver_come_from_nvidia_smi(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real nvidia-smi stand-in on PATH that answers only the query seedgate makes.
    _fake_nvidia_smi(
        tmp_path / "bin",
        '[ "$1 $2" = "--query-gpu=name,driver_version --format=csv,noheader" ] || exit 9\n'
        "echo 'NVIDIA H100 80GB HBM3, 550.54.15'\necho 'NVIDIA H100 80GB HBM3, 550.54.15'",
    )
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    assert gpu_fingerprint(tmp_path / "missing") == {
        "gpu": "NVIDIA H100 80GB HBM3; NVIDIA H100 80GB HBM3",
        "gpu_driver": "550.54.15",
    }
    found = fingerprint()
    assert (found["gpu"], found["gpu_driver"]) == (
        "NVIDIA H100 80GB HBM3; NVIDIA H100 80GB HBM3",
        "550.54.15",
    )


def test_a_failing_nvidia_smi_falls_back_to_the_driver_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_nvidia_smi(
        tmp_path / "bin",
        "echo 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.'\n"
        "exit 9",
    )
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    assert gpu_fingerprint(tmp_path / "missing") == {"gpu": "none", "gpu_driver": "none"}
    driver = tmp_path / "version"
    driver.write_text(
        "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.124.06  Release Build\n"
    )
    assert gpu_fingerprint(driver) == {
        "gpu": "NVIDIA GPU (no model from nvidia-smi)",
        "gpu_driver": "570.124.06",
    }


def test_gpu_parsers() -> None:
    assert gpus_from_smi_query("Tesla T4, 535.104.05\n") == ("Tesla T4", "535.104.05")
    assert gpus_from_smi_query("No devices were found\n") is None
    assert gpus_from_smi_query("") is None
    version = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar 5 2024\nGCC\n"
    assert driver_version_from_file(version) == "550.54.15"
    assert driver_version_from_file("NVRM version: odd\n") == "NVRM version: odd"
    assert driver_version_from_file("") is None
