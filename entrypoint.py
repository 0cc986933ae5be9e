"""The Docker action's entry point: everything happens in ``seedgate.action``."""

from __future__ import annotations

import sys

from seedgate.action import main

if __name__ == "__main__":
    sys.exit(main())
