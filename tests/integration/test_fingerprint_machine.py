"""The environment fingerprint of this machine: it asks nvidia-smi and a fresh interpreter."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from pathlib import Path

from seedgate.runset.fingerprint import (
    REPRODUCIBILITY_KEYS,
    cpu_model_from_cpuinfo,
    fingerprint,
    gpu_description,
    tensorflow_version,
)


def test_fingerprint_describes_this_machine() -> None:
    found = fingerprint()
    assert set(REPRODUCIBILITY_KEYS) <= set(found)
    assert found["python"] == platform.python_version()
    assert found["machine"] == platform.machine()
    assert found["cpu"]
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        assert found["cpu"] == cpu_model_from_cpuinfo(cpuinfo.read_text())


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


def test_gpu_description_without_a_driver_is_none(tmp_path: Path) -> None:
    if shutil.which("nvidia-smi") is None:
        assert gpu_description(tmp_path / "missing") == "none"
        driver = tmp_path / "version"
        driver.write_text("NVRM version: 550.54\n")
        assert gpu_description(driver) == "nvidia driver: NVRM version: 550.54"
    else:  # a GPU machine: the names come from nvidia-smi
        assert gpu_description(tmp_path / "missing") != "none"
