"""The Docker action's entry point: everything happens in ``seedgate.action``."""

from __future__ import annotations

import sys
from collections.abc import Callable

EXIT_ERROR = 2  # seedgate.errors.ExitCode.ERROR: 1 would read as a failing verdict


def _load_main() -> Callable[..., int]:
    try:
        from seedgate.action import main
    except Exception as exc:  # noqa: BLE001 - a broken image is an error (2), not a verdict
        name = type(exc).__name__
        print(f"::error title=seedgate%3A internal error::cannot load seedgate ({name})")
        sys.exit(EXIT_ERROR)
    return main


if __name__ == "__main__":
    main = _load_main()
    sys.exit(main(in_container=True))
