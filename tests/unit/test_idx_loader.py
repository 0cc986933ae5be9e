"""The example's IDX loader: real Debian Fashion-MNIST files and small files written here."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from examples.mnist import data

DEBIAN = data.DEBIAN_FASHION_MNIST


def _idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write(path: Path, payload: bytes) -> Path:
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as stream:
            stream.write(payload)
    else:
        path.write_bytes(payload)
    return path


def _small_dataset(directory: Path, *, n_train: int = 12, n_test: int = 5, gz: bool) -> None:
    rng = np.random.default_rng(0)
    suffix = ".gz" if gz else ""
    parts = {
        data.TRAIN_IMAGES: rng.integers(0, 256, (n_train, 28, 28)),
        data.TRAIN_LABELS: rng.integers(0, 10, n_train),
        data.TEST_IMAGES: rng.integers(0, 256, (n_test, 28, 28)),
        data.TEST_LABELS: rng.integers(0, 10, n_test),
    }
    for stem, array in parts.items():
        _write(directory / f"{stem}{suffix}", _idx_bytes(array))


@pytest.mark.skipif(not DEBIAN.is_dir(), reason="Debian's dataset-fashion-mnist not installed")
def test_reads_the_real_debian_files() -> None:
    images = data.read_idx(DEBIAN / f"{data.TRAIN_IMAGES}.gz", ndim=3, limit=100)
    labels = data.read_idx(DEBIAN / f"{data.TRAIN_LABELS}.gz", ndim=1)
    assert images.shape == (100, 28, 28)
    assert labels.shape == (60000,)
    assert set(np.unique(labels)) == set(range(10))
    assert np.bincount(labels).tolist() == [6000] * 10  # Fashion-MNIST is balanced

    dataset = data.load(DEBIAN, train_size=1000, test_size=500)
    assert dataset.x_train.shape == (1000, 28, 28)
    assert dataset.x_train.dtype == np.float32
    assert 0.0 <= dataset.x_train.min() < dataset.x_train.max() <= 1.0
    assert dataset.y_test.shape == (500,)
    full_test = data.load_idx_directory(DEBIAN, train_size=1)
    assert full_test.x_test.shape == (10000, 28, 28)


@pytest.mark.parametrize("gz", [True, False])
def test_small_files_round_trip(tmp_path: Path, gz: bool) -> None:
    _small_dataset(tmp_path, gz=gz)
    dataset = data.load_idx_directory(tmp_path)
    assert dataset.x_train.shape == (12, 28, 28)
    assert dataset.x_test.shape == (5, 28, 28)
    raw = data.read_idx(tmp_path / (data.TRAIN_IMAGES + (".gz" if gz else "")), ndim=3)
    np.testing.assert_allclose(dataset.x_train, raw.astype(np.float32) / 255.0)
    subset = data.load_idx_directory(tmp_path, train_size=4, test_size=2)
    np.testing.assert_array_equal(subset.y_train, dataset.y_train[:4])
    assert subset.x_test.shape == (2, 28, 28)


def test_environment_variable_chooses_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_dataset(tmp_path, gz=True)
    monkeypatch.setenv("SEEDGATE_DATA_DIR", str(tmp_path))
    assert data.default_directory() == tmp_path
    assert data.load(test_size=3).source == str(tmp_path)


def test_bad_magic_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.idx", b"\x00\x00\x0d\x03" + b"\x00" * 20)  # float32 IDX
    with pytest.raises(data.DataError, match="not an unsigned-byte IDX file"):
        data.read_idx(path, ndim=3)


def test_wrong_dimensions(tmp_path: Path) -> None:
    path = _write(tmp_path / "labels", _idx_bytes(np.zeros(4)))
    with pytest.raises(data.DataError, match="has 1 dimensions, expected 3"):
        data.read_idx(path, ndim=3)


def test_truncated_body(tmp_path: Path) -> None:
    path = _write(tmp_path / "images.gz", _idx_bytes(np.zeros((3, 28, 28)))[:-10])
    with pytest.raises(data.DataError, match="truncated: expected 2352 bytes"):
        data.read_idx(path, ndim=3)


def test_truncated_header(tmp_path: Path) -> None:
    path = _write(tmp_path / "images", b"\x00\x00\x08")
    with pytest.raises(data.DataError, match="truncated"):
        data.read_idx(path, ndim=3)


def test_corrupt_gzip(tmp_path: Path) -> None:
    good = gzip.compress(_idx_bytes(np.zeros((3, 28, 28))))
    path = tmp_path / "images.gz"
    path.write_bytes(good[:20])  # cut in the middle of the deflate stream
    with pytest.raises(data.DataError, match=r"images\.gz"):
        data.read_idx(path, ndim=3)
    path.write_bytes(b"not gzip at all")
    with pytest.raises(data.DataError, match="cannot read"):
        data.read_idx(path, ndim=3)


def test_image_and_label_counts_must_agree(tmp_path: Path) -> None:
    _small_dataset(tmp_path, gz=False)
    _write(tmp_path / data.TRAIN_LABELS, _idx_bytes(np.zeros(11)))
    with pytest.raises(data.DataError, match=r"12 images but .* 11 labels"):
        data.load_idx_directory(tmp_path)


def test_labels_must_be_digits(tmp_path: Path) -> None:
    _small_dataset(tmp_path, gz=False)
    _write(tmp_path / data.TEST_LABELS, _idx_bytes(np.full(5, 12)))
    with pytest.raises(data.DataError, match=r"label 12, expected 0\.\.9"):
        data.load_idx_directory(tmp_path)


def test_missing_files_and_directory(tmp_path: Path) -> None:
    with pytest.raises(data.DataError, match="does not exist"):
        data.load_idx_directory(tmp_path / "nowhere")
    with pytest.raises(data.DataError, match="missing train-images-idx3-ubyte"):
        data.load_idx_directory(tmp_path)


def test_sizes_beyond_the_data_are_rejected(tmp_path: Path) -> None:
    _small_dataset(tmp_path, gz=True)
    with pytest.raises(data.DataError, match=r"test_size = 6: expected 1..5"):
        data.load_idx_directory(tmp_path, test_size=6)
