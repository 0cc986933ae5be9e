"""The worker process of the warm-worker contract (``python -m seedgate.run.worker_process``).

It loads the entry once, then answers one JSON request per line on its request pipe by
calling the entry with the request's seeds; see ``seedgate.run.workers`` for the parent's
side and the contract.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import json
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from seedgate.run.workers import parse_entry


def _load_entry(entry: str, working_directory: str) -> tuple[ModuleType, Callable[..., Any]]:
    module_name, function_name = parse_entry(entry)
    if module_name.endswith(".py"):
        path = Path(working_directory, module_name).resolve()
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            msg = f"cannot load {path} as a module"
            raise ImportError(msg)
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(module_name)
    function = getattr(module, function_name, None)
    if not callable(function):
        msg = f"module {module_name!r} has no function {function_name!r}"
        raise TypeError(msg)
    return module, function


def _plain_number(value: object) -> object:
    """A JSON-encodable form of a metric value; numeric scalars (numpy, tensors) as floats."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    item = getattr(value, "item", None)
    if callable(item):
        with contextlib.suppress(Exception):
            return _plain_number(item())
    if hasattr(value, "__float__"):
        with contextlib.suppress(Exception):
            return float(value)
    return repr(value)


def _reset(module: ModuleType) -> None:
    hook = getattr(module, "reset", None)
    if callable(hook):
        hook()
    tensorflow = sys.modules.get("tensorflow")
    if tensorflow is not None:
        tensorflow.keras.backend.clear_session()


def _call(
    module: ModuleType, function: Callable[..., Any], request: dict[str, Any]
) -> dict[str, Any]:
    seeds = {key: int(request[key]) for key in ("seed", "data_seed", "init_seed", "index")}
    os.environ.update(
        {
            "SEEDGATE_SEED": str(seeds["seed"]),
            "SEEDGATE_RUN_INDEX": str(seeds["index"]),
            "SEEDGATE_DATA_SEED": str(seeds["data_seed"]),
            "SEEDGATE_INIT_SEED": str(seeds["init_seed"]),
        }
    )
    try:
        _reset(module)
        value = function(**seeds)
    except BaseException as exc:  # noqa: BLE001 - any failure of user code is that run's failure
        traceback.print_exc()
        return {"status": "error", "reason": f"the entry raised {type(exc).__name__}: {exc}"}
    if not isinstance(value, Mapping):
        return {
            "status": "error",
            "reason": f"the entry returned {type(value).__name__}, expected a dict of metrics",
        }
    return {"status": "ok", "metrics": {str(k): _plain_number(v) for k, v in value.items()}}


def _answer(stream: Any, message: Mapping[str, object]) -> None:
    stream.write((json.dumps(message) + "\n").encode())


def worker_main(argv: list[str]) -> int:
    """The worker process: load the entry, then answer one request per line until EOF."""
    request_fd, response_fd, entry, working_directory = argv
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    if working_directory not in sys.path:
        sys.path.insert(0, working_directory)
    with (
        os.fdopen(int(request_fd), "rb") as requests,
        os.fdopen(int(response_fd), "wb", buffering=0) as responses,
    ):
        try:
            module, function = _load_entry(entry, working_directory)
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises
            traceback.print_exc()
            _answer(responses, {"status": "error", "reason": f"{type(exc).__name__}: {exc}"})
            return 1
        _answer(responses, {"status": "ready", "pid": os.getpid()})
        for line in requests:
            answer = _call(module, function, json.loads(line))
            sys.stdout.flush()
            sys.stderr.flush()
            _answer(responses, answer)
            gc.collect()
    return 0


if __name__ == "__main__":
    raise SystemExit(worker_main(sys.argv[1:]))
