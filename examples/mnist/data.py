"""MNIST-format data for the example: IDX files from a directory, or Keras' download.

The directory is ``$SEEDGATE_DATA_DIR`` when set, else Debian's ``dataset-fashion-mnist``
(``/usr/share/datasets/fashion-mnist``, same IDX format and shapes as MNIST), else MNIST
through ``keras.datasets.mnist.load_data()`` (needs the network once; cached by Keras).
"""

from __future__ import annotations

import gzip
import io
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"

_UNSIGNED_BYTE = 0x08
_N_CLASSES = 10


class DataError(Exception):
    """An IDX file is missing, truncated or not what its name says."""


@dataclass(frozen=True)
class Dataset:
    """Images scaled to [0, 1] as float32 (n, 28, 28); labels as int64 (n,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str


def _open(path: Path) -> io.BufferedIOBase:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def _read_exactly(stream: io.BufferedIOBase, size: int, path: Path, what: str) -> bytes:
    try:
        data = stream.read(size)
    except (OSError, EOFError) as exc:  # gzip raises these on corrupt or cut streams
        raise DataError(f"{path}: cannot read {what}: {exc}") from None
    if len(data) != size:
        raise DataError(f"{path}: truncated: expected {size} bytes of {what}, found {len(data)}")
    return data


def read_idx(path: Path, *, ndim: int, limit: int | None = None) -> np.ndarray:
    """Read an unsigned-byte IDX file (optionally gzip'd) with ``ndim`` dimensions.

    Only the first ``limit`` records are decompressed when ``limit`` is given.
    """
    try:
        stream = _open(path)
    except OSError as exc:
        raise DataError(f"{path}: cannot open: {exc}") from None
    with stream:
        magic = _read_exactly(stream, 4, path, "the IDX magic number")
        zero, dtype_code, dims = struct.unpack(">HBB", magic)
        if zero != 0 or dtype_code != _UNSIGNED_BYTE:
            raise DataError(
                f"{path}: not an unsigned-byte IDX file (magic {magic.hex()}, expected "
                f"0000080{ndim}); is it an MNIST-format file?"
            )
        if dims != ndim:
            raise DataError(f"{path}: has {dims} dimensions, expected {ndim}")
        shape = struct.unpack(f">{ndim}I", _read_exactly(stream, 4 * ndim, path, "dimensions"))
        if any(size == 0 for size in shape):
            raise DataError(f"{path}: empty dimension in shape {shape}")
        count = shape[0] if limit is None else min(limit, shape[0])
        record = int(np.prod(shape[1:], dtype=np.int64)) if ndim > 1 else 1
        body = _read_exactly(stream, count * record, path, f"{count} records")
    return np.frombuffer(body, dtype=np.uint8).reshape((count, *shape[1:]))


def _find(directory: Path, stem: str) -> Path:
    for name in (stem, f"{stem}.gz"):
        candidate = directory / name
        if candidate.is_file():
            return candidate
    raise DataError(f"{directory}: missing {stem} (or {stem}.gz)")


def _split(
    directory: Path, images: str, labels: str, limit: int | None
) -> tuple[np.ndarray, np.ndarray]:
    x = read_idx(_find(directory, images), ndim=3, limit=limit)
    y = read_idx(_find(directory, labels), ndim=1, limit=limit)
    if len(x) != len(y):
        raise DataError(f"{directory}: {images} has {len(x)} images but {labels} {len(y)} labels")
    if y.size and int(y.max()) >= _N_CLASSES:
        raise DataError(f"{directory}: {labels} has label {int(y.max())}, expected 0..9")
    return x, y


def _check_sizes(name: str, wanted: int | None, available: int) -> None:
    if wanted is not None and not 1 <= wanted <= available:
        raise DataError(f"{name} = {wanted}: expected 1..{available} (the examples available)")


def _finish(
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    source: str,
    train_size: int | None,
    test_size: int | None,
) -> Dataset:
    _check_sizes("train_size", train_size, len(train[0]))
    _check_sizes("test_size", test_size, len(test[0]))
    if train[0].shape[1:] != test[0].shape[1:]:
        raise DataError(
            f"{source}: train images are {train[0].shape[1:]} but test images {test[0].shape[1:]}"
        )
    return Dataset(
        x_train=train[0][:train_size].astype(np.float32) / 255.0,
        y_train=train[1][:train_size].astype(np.int64),
        x_test=test[0][:test_size].astype(np.float32) / 255.0,
        y_test=test[1][:test_size].astype(np.int64),
        source=source,
    )


def load_idx_directory(
    directory: Path, *, train_size: int | None = None, test_size: int | None = None
) -> Dataset:
    """The first ``train_size`` / ``test_size`` examples of the IDX files in ``directory``."""
    if not directory.is_dir():
        raise DataError(f"data directory {directory} does not exist")
    train = _split(directory, TRAIN_IMAGES, TRAIN_LABELS, train_size)
    test = _split(directory, TEST_IMAGES, TEST_LABELS, test_size)
    return _finish(train, test, str(directory), train_size, test_size)


def _load_keras_mnist(train_size: int | None, test_size: int | None) -> Dataset:
    """MNIST through Keras (downloads once into ~/.keras/datasets; needs the network)."""
    import keras  # only when no local data exists

    try:
        train, test = keras.datasets.mnist.load_data()
    except Exception as exc:  # noqa: BLE001 - any download failure gets the same advice
        raise DataError(
            f"no local MNIST-format data and the MNIST download failed ({exc}); set "
            "SEEDGATE_DATA_DIR or --data-dir to a directory with the IDX files"
        ) from None
    return _finish(train, test, "keras.datasets.mnist", train_size, test_size)


def default_directory() -> Path | None:
    """$SEEDGATE_DATA_DIR, else Debian's Fashion-MNIST when installed, else None."""
    configured = os.environ.get("SEEDGATE_DATA_DIR")
    if configured:
        return Path(configured)
    if DEBIAN_FASHION_MNIST.is_dir():
        return DEBIAN_FASHION_MNIST
    return None


def load(
    directory: Path | None = None, *, train_size: int | None = None, test_size: int | None = None
) -> Dataset:
    """The example's data; see the module docstring for where it comes from."""
    directory = directory or default_directory()
    if directory is None:
        return _load_keras_mnist(train_size, test_size)
    return load_idx_directory(directory, train_size=train_size, test_size=test_size)
